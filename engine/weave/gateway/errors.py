"""Gateway refusals as values: every error answer is `{"error": {"code", "message"}}`.

Messages are fixed texts chosen here, never exception strings, so no internals (hosts, stack
traces, SQL, credential fragments) can reach a client.
"""

from __future__ import annotations

from typing import Any

import orjson


class GatewayError(Exception):
    """Raised inside the request pipeline; the app turns it into a JSON error response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: list[tuple[bytes, bytes]] | None = None,
        details: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or []
        self.details = details

    def body(self) -> bytes:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            error["details"] = self.details
        return orjson.dumps({"error": error})


def unauthenticated(message: str = "missing or invalid credentials", scheme: str = "Bearer") -> GatewayError:
    return GatewayError(401, "unauthenticated", message, [(b"www-authenticate", scheme.encode())])


def forbidden(message: str = "the consumer may not call this route") -> GatewayError:
    return GatewayError(403, "forbidden", message)


def bad_request(message: str, code: str = "bad_request", details: list[dict[str, Any]] | None = None) -> GatewayError:
    return GatewayError(400, code, message, details=details)


NOT_FOUND = GatewayError(404, "not_found", "no such route")
BAD_GATEWAY = GatewayError(502, "upstream_error", "the upstream service failed")
GATEWAY_TIMEOUT = GatewayError(504, "upstream_timeout", "the upstream service did not answer in time")
CIRCUIT_OPEN = GatewayError(503, "upstream_unavailable", "the upstream service is temporarily unavailable")
