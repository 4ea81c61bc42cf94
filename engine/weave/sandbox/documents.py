"""Acme's document management (REST, bearer token): store contracts and quotes as versioned documents."""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import Any, ClassVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from weave.sandbox._base import SimService
from weave.sandbox._http import (
    HttpError,
    MonotonicClock,
    check_bearer,
    json_response,
    read_object,
    require_fields,
)
from weave.sandbox._pagination import paginate

TOKEN = "docs-demo-token"
_FILTERS = ("account_id", "external_id", "folder")


class DocumentsService(SimService):
    name: ClassVar[str] = "documents"
    title: ClassVar[str] = "Document management (REST)"

    def credentials(self) -> dict[str, str]:
        return {"token": TOKEN}

    def reset_state(self) -> None:
        self.clock = MonotonicClock()
        self.documents: dict[str, dict[str, Any]] = {}
        self.by_external: dict[str, str] = {}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/v1/documents", self.store, methods=["POST"]),
            Route("/api/v1/documents", self.list_documents, methods=["GET"]),
            Route("/api/v1/documents/{id}", self.get_document, methods=["GET"]),
        ]

    async def store(self, request: Request) -> Response:
        """Create a document, or add a version when `external_id` is already known."""
        check_bearer(request, {TOKEN})
        body = await read_object(request)
        require_fields(body, "name", "content_type")
        if "content_base64" in body:
            try:
                if not isinstance(body["content_base64"], str):
                    raise binascii.Error
                content = base64.b64decode(body["content_base64"], validate=True)
            except binascii.Error:
                raise HttpError(422, "validation_failed", "content_base64 is not base64",
                                [{"field": "content_base64", "error": "invalid"}]) from None
        elif "text" in body:
            content = str(body["text"]).encode()
        else:
            raise HttpError(422, "validation_failed", "one of content_base64 or text is required",
                            [{"field": "content_base64", "error": "required"}])
        metadata = body.get("metadata") or {}
        if not isinstance(metadata, dict):
            raise HttpError(422, "validation_failed", "metadata must be an object")
        external = body.get("external_id")
        doc_id = self.by_external.get(str(external)) if external else None
        version = self.documents[doc_id]["version"] + 1 if doc_id else 1
        doc_id = doc_id or f"DOC-{len(self.documents) + 1:06d}"
        stamp = self.clock.next()
        created = self.documents[doc_id]["created_at"] if version > 1 else stamp
        self.documents.pop(doc_id, None)
        self.documents[doc_id] = {
            "id": doc_id, "name": body["name"], "content_type": body["content_type"], "version": version,
            "size": len(content), "sha256": hashlib.sha256(content).hexdigest(), "external_id": external,
            "folder": body.get("folder", "/"), "account_id": metadata.get("account_id"), "metadata": metadata,
            "created_at": created, "updated_at": stamp}
        if external:
            self.by_external[str(external)] = doc_id
        self.record(request, {k: v for k, v in body.items() if k != "content_base64"} | {"size": len(content)},
                    operation="document.store")
        return json_response(self.documents[doc_id], 201 if version == 1 else 200)

    async def list_documents(self, request: Request) -> Response:
        check_bearer(request, {TOKEN})
        records = list(self.documents.values())
        for key in _FILTERS:
            if key in request.query_params:
                records = [d for d in records if str(d.get(key)) == request.query_params[key]]
        return paginate(request, records)

    async def get_document(self, request: Request) -> Response:
        check_bearer(request, {TOKEN})
        doc = self.documents.get(request.path_params["id"])
        if doc is None:
            raise HttpError(404, "not_found", "no such document")
        return json_response(doc)
