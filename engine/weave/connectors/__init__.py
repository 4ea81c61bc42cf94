"""Connectors: how weave reads from and writes to systems (REST, SOAP, SQL, files) and verifies
inbound webhooks. One table (`registry.TABLE`) maps an api style to its class, imported lazily.

Connectors never import weave.runtime, weave.patterns or weave.cli.
"""

from weave.connectors.base import Connector, Page, ProbeResult, SystemConfig, WriteResult
from weave.connectors.registry import (
    TABLE,
    UnknownConnectorError,
    connector_class,
    create_connector,
    known_styles,
)

__all__ = [
    "TABLE",
    "Connector",
    "Page",
    "ProbeResult",
    "SystemConfig",
    "UnknownConnectorError",
    "WriteResult",
    "connector_class",
    "create_connector",
    "known_styles",
]
