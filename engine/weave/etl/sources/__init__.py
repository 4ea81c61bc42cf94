"""Extract sources. Each streams `Page`s and reports a resumable position after every page."""

from weave.etl.sources._files import FileSource
from weave.etl.sources._rest import Pagination, RestSource
from weave.etl.sources._soap import SoapSource
from weave.etl.sources._sql import PostgresSource, SqliteSource

__all__ = ["FileSource", "Pagination", "PostgresSource", "RestSource", "SoapSource", "SqliteSource"]
