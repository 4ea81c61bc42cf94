"""`weave serve` settings come from one documented order: flag > environment > weave.toml > default."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import httpx
import pytest

from tests.operate.support import Worker, write_specs
from tests.runtime.support import apply_specs
from weave.api.config import DEFAULT_STATE, resolve_settings


def _deploy(tmp_path: Path, name: str, revisions: int) -> str:
    """A state store holding `revisions` revisions, so a worker shows which one it opened."""
    url = f"sqlite:///{tmp_path}/{name}.db"
    for i in range(revisions):
        root = tmp_path / f"{name}-{i}"
        root.mkdir()
        specs = write_specs(root, mapping="{order_ref: id, n: `" + str(i) + "`}", hub=False)
        asyncio.run(apply_specs(specs, url))
    return url


@pytest.mark.parametrize("layers, expect", [
    (("toml",), ("toml", "toml-token")),
    (("toml", "env"), ("env", "env-token")),
    (("toml", "env", "flag"), ("flag", "flag-token")),
])
def test_serve_resolves_settings_flag_env_toml(tmp_path: Path, sandbox_env: dict[str, str],
                                               layers: tuple[str, ...], expect: tuple[str, str]) -> None:
    urls = {"toml": _deploy(tmp_path, "toml", 1), "env": _deploy(tmp_path, "env", 2),
            "flag": _deploy(tmp_path, "flag", 3)}
    (tmp_path / "weave.toml").write_text(f'[state]\nurl = "{urls["toml"]}"\n\n[serve]\nadmin_token = "toml-token"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("WEAVE_")}
    if "env" in layers:
        env.update(WEAVE_STATE=urls["env"], WEAVE_ADMIN_TOKEN="env-token")
    args = ["--state", urls["flag"], "--admin-token", "flag-token"] if "flag" in layers else []
    worker = Worker(*args, env=env, cwd=tmp_path, log_path=tmp_path / "serve.log")
    with worker:
        worker.wait_ready()
        revision = {"toml": 1, "env": 2, "flag": 3}[expect[0]]
        assert worker.revision() == revision
        for token in ("toml-token", "env-token", "flag-token"):
            status = httpx.get(f"{worker.url}/status/api", headers={"authorization": f"Bearer {token}"}).status_code
            assert status == (200 if token == expect[1] else 401), token
        assert worker.terminate() == 0


def test_resolution_order_and_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "weave.toml"
    toml.write_text('[state]\nurl = "sqlite:///t.db"\n[bus]\nurl = "redis://toml:6379/0"\n')
    monkeypatch.delenv("WEAVE_STATE", raising=False)
    monkeypatch.delenv("WEAVE_ADMIN_TOKEN", raising=False)
    monkeypatch.setenv("WEAVE_BUS", "redis://env:6379/0")
    settings = resolve_settings(config=toml)
    assert (settings.state_url, settings.bus_url, settings.admin_token) == ("sqlite:///t.db", "redis://env:6379/0", None)
    assert settings.source == {"state": "weave.toml", "bus": "env WEAVE_BUS", "admin_token": "default"}
    flagged = resolve_settings(state="sqlite:///f.db", bus="redis://flag:6379/0", config=toml)
    assert (flagged.state_url, flagged.bus_url) == ("sqlite:///f.db", "redis://flag:6379/0")
    monkeypatch.delenv("WEAVE_BUS")
    assert resolve_settings(config=tmp_path / "absent.toml").state_url == DEFAULT_STATE
    # a PostgreSQL state store has no embedded bus: asking for one is a clear error, not a guess
    with pytest.raises(ValueError, match="--bus"):
        resolve_settings(state="postgresql://weave@db/weave", config=tmp_path / "absent.toml")
    toml.write_text('[serve]\nadmin_token = "${env:OPS_STATUS_TOKEN}"\n')
    monkeypatch.setenv("OPS_STATUS_TOKEN", "from-a-reference")
    assert resolve_settings(config=toml).admin_token == "from-a-reference"
    monkeypatch.delenv("OPS_STATUS_TOKEN")
    with pytest.raises(ValueError, match="OPS_STATUS_TOKEN"):
        resolve_settings(config=toml)
    toml.write_text("[state\n")
    with pytest.raises(ValueError, match="invalid TOML"):
        resolve_settings(config=toml)
