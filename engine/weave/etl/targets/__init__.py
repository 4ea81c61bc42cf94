"""Load targets. `write(rows, checkpoint)` returns only when rows and checkpoint are durable."""

from weave.etl.targets._files import FileTarget
from weave.etl.targets._http import HttpBulkTarget
from weave.etl.targets._postgres import PostgresTarget
from weave.etl.targets._sqlite import SqliteTarget

__all__ = ["FileTarget", "HttpBulkTarget", "PostgresTarget", "SqliteTarget"]
