"""Secret references: `${env:NAME}`, `${file:/path/to/file}`.

Specs, plans and state hold references only. Values are resolved at run time, right where
they are used, and are never logged, stored or put into an error message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from weave.errors import TerminalError

REF_RE = re.compile(r"\$\{(?P<scheme>env|file):(?P<name>[^}]+)\}")
FULL_REF_RE = re.compile(r"^\$\{(?P<scheme>env|file):(?P<name>[^}]+)\}$")
ANY_REF_RE = re.compile(r"\$\{[^}]*\}")


class SecretError(TerminalError):
    """A reference could not be resolved. The message names the reference, never a value."""


def is_reference(value: Any) -> bool:
    return isinstance(value, str) and bool(FULL_REF_RE.match(value.strip()))


def contains_reference(value: Any) -> bool:
    return isinstance(value, str) and bool(REF_RE.search(value))


def _resolve_one(scheme: str, name: str, env: dict[str, str] | os._Environ[str]) -> str:
    if scheme == "env":
        if name not in env:
            raise SecretError(f"secret reference ${{env:{name}}} is not set in the environment")
        return env[name]
    path = Path(name)
    try:
        return path.read_text().rstrip("\n")
    except OSError as exc:
        raise SecretError(f"secret reference ${{file:{name}}} cannot be read ({exc.strerror})") from None


def resolve(value: Any, env: dict[str, str] | None = None) -> Any:
    """Resolve every reference inside a string (or recursively inside dicts/lists)."""
    environ = os.environ if env is None else env
    if isinstance(value, str):
        if "${" not in value:
            return value
        return REF_RE.sub(lambda m: _resolve_one(m.group("scheme"), m.group("name"), environ), value)
    if isinstance(value, dict):
        return {k: resolve(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, env) for v in value]
    return value


def redact(text: str, secrets: list[str]) -> str:
    """Replace any resolved secret value that slipped into a text with `***`."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return text


def redact_error(text: str, values: Callable[[], list[str]]) -> str:
    """An error's `Type: message` text with the secrets `values()` resolves (now) replaced by `***`; when resolving
    fails unexpectedly, only the error type, rather than risk a leak."""
    try:
        return redact(text, values())
    except Exception:
        return text.split(":", 1)[0]
