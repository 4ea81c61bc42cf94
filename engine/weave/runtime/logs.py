"""JSON logs with integration, revision and correlation id. Resolved secrets are redacted."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

import orjson

from weave import correlation
from weave.secrets import redact


class JsonLogger:
    def __init__(self, stream: TextIO | None = None, *, worker: str = "", secrets: list[str] | None = None,
                 enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.worker = worker
        self.secrets = secrets if secrets is not None else []
        self.enabled = enabled
        self.revision = 0

    def log(self, integration: str | None, message: str, *, level: str = "info", **fields: Any) -> None:
        if not self.enabled:
            return
        record = {"ts": round(time.time(), 3), "level": level, "msg": message, "worker": self.worker,
                  "revision": self.revision}
        if integration:
            record["integration"] = integration
        correlation_id = correlation.current()
        if correlation_id:
            record["correlation_id"] = correlation_id
        record.update(fields)
        line = orjson.dumps(record, default=str).decode()
        if self.secrets:
            line = redact(line, self.secrets)
        self.stream.write(line + "\n")
        self.stream.flush()
