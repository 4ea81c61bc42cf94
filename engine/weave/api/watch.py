"""`weave serve --watch DIR`: plan and apply on every spec change (watchdog), for local development."""

from __future__ import annotations

import asyncio
import contextlib
import getpass
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from weave.api.deploy import apply_deploy, git_meta, plan_deploy
from weave.state import open_state

DEBOUNCE_SECONDS = 0.3


class _Handler(FileSystemEventHandler):
    def __init__(self, trigger: Any) -> None:
        self.trigger = trigger

    def on_any_event(self, event: FileSystemEvent) -> None:
        path = str(event.src_path)
        if path.endswith((".yaml", ".yml", ".j2", ".toml")):
            self.trigger()


class SpecWatcher:
    def __init__(self, directory: str, state_url: str, logger: Any,
                 on_applied: Callable[[], None] | None = None) -> None:
        self.on_applied = on_applied  # e.g. the supervisor's revision_applied: serve it at once
        self.directory = directory
        self.state_url = state_url
        self.logger = logger
        self.observer: Any = None
        self._pending: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.observer = Observer()
        self.observer.schedule(_Handler(self._trigger), self.directory, recursive=True)
        self.observer.start()
        self._trigger()  # apply once at start

    def _trigger(self) -> None:
        loop = self._loop
        if loop is None:
            return

        def schedule() -> None:
            if self._pending is not None:
                self._pending.cancel()
            self._pending = loop.call_later(DEBOUNCE_SECONDS, lambda: loop.create_task(self.apply()))

        loop.call_soon_threadsafe(schedule)

    async def apply(self) -> int | None:
        state = await open_state(self.state_url)
        try:
            current = await state.current_revision()
            deploy = await asyncio.to_thread(plan_deploy, [Path(self.directory)], current)
            if not deploy.ok:
                errors = [f"{d.file}:{d.line}:{d.column} {d.code} {d.message}" for d in deploy.diagnostics
                          if d.severity.value == "error"]
                self.logger.log(None, "watch: specs have errors; not applied", level="warning", errors=errors[:20])
                return None
            if not deploy.has_changes:
                return None
            revision = await apply_deploy(state, deploy, git_meta([self.directory], "weave serve --watch"),
                                          holder=f"watch:{getpass.getuser()}")
            self.logger.log(None, "watch: applied", revision=revision, changes=len(deploy.changes))
            if self.on_applied is not None:
                self.on_applied()
            return revision
        except Exception as exc:  # noqa: BLE001 - keep watching
            self.logger.log(None, "watch: apply failed", level="error", error=str(exc))
            return None
        finally:
            await state.close()

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()
            with contextlib.suppress(RuntimeError):
                self.observer.join(timeout=5)
