from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest


def _load_servers() -> ModuleType:
    # loaded under a unique name: a bare `import servers` could collide with another test area's module
    name = "weave_tests_connector_servers"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("servers.py"))
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def servers() -> ModuleType:
    """The tests/connectors/servers.py module (constants such as API_KEY, CLIENT, ITEMS)."""
    return _load_servers()


@pytest.fixture(scope="session")
def _api_server(servers: ModuleType) -> Iterator[tuple[Any, Any]]:
    state = servers.ServerState()
    server = servers.LocalServer(servers.make_app(state)).start()
    yield server, state
    server.stop()


@pytest.fixture
def api(_api_server: tuple[Any, Any]) -> tuple[str, Any]:
    """(base URL, server state) of the shared test service, its state reset for each test."""
    server, state = _api_server
    state.reset()
    return server.url, state
