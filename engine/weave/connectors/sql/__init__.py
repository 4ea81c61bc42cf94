"""SQL connector (SQLite and PostgreSQL); see connector.py."""

from weave.connectors.sql.connector import SqlConnector

__all__ = ["SqlConnector"]
