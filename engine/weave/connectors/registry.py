"""The one table of connectors: api style → "module:Class", imported on first use.

No registration by import side effect: what exists is what this table says.
"""

from __future__ import annotations

import importlib
from typing import Any

from weave.connectors.base import Connector, SystemConfig
from weave.errors import TerminalError

TABLE: dict[str, str] = {
    "rest": "weave.connectors.http.connector:HttpConnector",
    "http": "weave.connectors.http.connector:HttpConnector",
    "soap": "weave.connectors.soap:SoapConnector",
    "sql": "weave.connectors.sql.connector:SqlConnector",
    "file": "weave.connectors.files:FileConnector",
}


class UnknownConnectorError(TerminalError):
    pass


def known_styles() -> list[str]:
    return sorted(TABLE)


def connector_class(style: str) -> type[Any]:
    target = TABLE.get(style)
    if target is None:
        raise UnknownConnectorError(f"no connector for api style {style!r}; known styles: {', '.join(known_styles())}")
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


def create_connector(system: SystemConfig, *, transport: Any = None) -> Connector:
    """Instantiate the connector for `system.style`."""
    cls = connector_class(system.style)
    return cls(system, transport=transport)  # type: ignore[no-any-return]
