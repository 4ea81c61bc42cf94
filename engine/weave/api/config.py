"""Where state and the bus live, resolved in one documented order:

    command-line flag  >  environment (WEAVE_STATE, WEAVE_BUS, WEAVE_ADMIN_TOKEN)  >  weave.toml  >  default

The admin token may be a secret reference (`admin_token = "${env:WEAVE_STATUS_TOKEN}"` in weave.toml),
resolved here, at run time. Defaults are the embedded ones: `sqlite:///.weave/state.db`, and the bus in
the same SQLite file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from weave.secrets import SecretError, contains_reference, resolve

DEFAULT_STATE = "sqlite:///.weave/state.db"


@dataclass(frozen=True)
class Settings:
    state_url: str
    bus_url: str
    admin_token: str | None
    source: dict[str, str]  # which layer each value came from


def _toml(path: Path | None) -> dict[str, Any]:
    candidate = path or Path("weave.toml")
    if candidate.is_file():
        try:
            return tomllib.loads(candidate.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{candidate}: invalid TOML: {exc}") from None
    return {}


def sqlite_path(url: str) -> str | None:
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///").split("?")[0]
    if "://" not in url:
        return url
    return None


def resolve_settings(*, state: str | None = None, bus: str | None = None, admin_token: str | None = None,
                     config: Path | None = None) -> Settings:
    toml = _toml(config)
    source: dict[str, str] = {}

    def pick(name: str, flag: str | None, env: str, toml_value: Any, default: str | None) -> str | None:
        if flag:
            source[name] = "flag"
            return flag
        if os.environ.get(env):
            source[name] = f"env {env}"
            return os.environ[env]
        if toml_value:
            source[name] = "weave.toml"
            return str(toml_value)
        source[name] = "default"
        return default

    state_url = pick("state", state, "WEAVE_STATE", toml.get("state", {}).get("url"), DEFAULT_STATE) or DEFAULT_STATE
    default_bus = state_url if sqlite_path(state_url) is not None else None
    bus_url = pick("bus", bus, "WEAVE_BUS", toml.get("bus", {}).get("url"), default_bus)
    if bus_url is None:
        raise ValueError("with a PostgreSQL state store, give a bus too: --bus redis://... (or WEAVE_BUS)")
    token = pick("admin_token", admin_token, "WEAVE_ADMIN_TOKEN", toml.get("serve", {}).get("admin_token"), None)
    if token is not None and contains_reference(token):  # weave.toml holds `${env:NAME}`, not the token
        try:
            token = str(resolve(token))
        except SecretError as exc:
            raise ValueError(f"admin_token: {exc}") from None
    return Settings(state_url=state_url, bus_url=bus_url, admin_token=token, source=source)


def ensure_parent(url: str) -> None:
    path = sqlite_path(url)
    if path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
