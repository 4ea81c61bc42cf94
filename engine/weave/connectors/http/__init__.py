"""HTTP/REST connector (see connector.py)."""

from weave.connectors.http.connector import HttpConnector

__all__ = ["HttpConnector"]
