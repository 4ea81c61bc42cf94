"""JSON-Schema fragments for the connector operation blocks (`http:`, `soap:`, `sql:`, `file:` inside
`extract:` and `deliver:` entries) and for the `delivery:` policy.

The field names are the ones the connectors read (weave.connectors.*, weave.delivery.*); keep both in step.
"""

from __future__ import annotations

from typing import Any

from weave.spec.schema.common import ref

PAGINATION_TYPES = ["none", "page", "offset", "cursor", "link"]
HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]

_TEMPLATED_MAP = {
    "type": "object",
    "additionalProperties": {"type": ["string", "number", "integer", "boolean", "null"]},
}

DEFS: dict[str, Any] = {
    "pagination": {
        "type": "object",
        "description": "How to page through a REST collection. Unknown types are answered with the known ones.",
        "additionalProperties": False,
        "required": ["type"],
        "properties": {
            "type": {"enum": PAGINATION_TYPES, "description": "page numbers, offset/limit, a cursor from the body, "
                                                             "or the RFC 8288 `Link: <…>; rel=\"next\"` header."},
            "page_param": {"type": "string", "description": "page: query parameter of the page number (default page)."},
            "start": {"type": "integer", "description": "page: number of the first page (default 1)."},
            "size_param": {"type": "string", "description": "page: query parameter of the page size."},
            "size": {"type": "integer", "minimum": 1,
                     "description": "page: page size; a shorter page ends the read."},
            "total_pages": {**ref("jmespath"), "description": "page: where the body gives the number of pages."},
            "offset_param": {"type": "string", "description": "offset: query parameter (default offset)."},
            "limit_param": {"type": "string", "description": "offset: query parameter (default limit)."},
            "limit": {"type": "integer", "minimum": 1, "description": "offset: records per request (default 100)."},
            "total": {**ref("jmespath"), "description": "offset: where the body gives the total record count."},
            "cursor_param": {"type": "string", "description": "cursor: query parameter of the cursor (default cursor); "
                                                             "with `in: body`, a dotted path in the JSON body."},
            "in": {"enum": ["query", "body"], "description": "cursor: where the cursor travels (default query)."},
            "next": {**ref("jmespath"), "description": "cursor: where the body gives the next cursor (or next URL); "
                                                       "null or empty ends the read."},
        },
    },
    "httpOperation": {
        "type": "object",
        "description": "One HTTP request shape on the system. Read: paginated GET whose `records` are extracted. "
                       "Write: one request per record (or per chunk with `batch`), with the idempotency key in a header.",
        "additionalProperties": False,
        "properties": {
            "method": {"enum": HTTP_METHODS, "description": "HTTP method (default GET to read, POST to write)."},
            "path": {"type": "string", "description": "Path under the system's base_url, or an absolute URL. "
                                                      "In writes `{field}` is filled from the record, URL-quoted."},
            "params": {**_TEMPLATED_MAP, "description": "Query parameters; string values may be Jinja templates over "
                                                        "`state` (the read's resume state)."},
            "headers": {**_TEMPLATED_MAP, "description": "Extra request headers (no secrets: use the system's auth)."},
            "body": {"type": ["object", "array"],
                     "description": "Read: a JSON body to send (e.g. a search or a GraphQL query with POST); string "
                                    "values may be Jinja templates over `state`. Writes send the records."},
            "pagination": ref("pagination"),
            "records": {**ref("jmespath"), "description": "Where the records are in the response body (default: the "
                                                         "body if it is a list, else data/items/results/records)."},
            "max_pages": {"type": "integer", "minimum": 1, "description": "Safety stop for one read (default 10000)."},
            "batch": {"oneOf": [{"type": "boolean"}, {"type": "integer", "minimum": 1}],
                      "description": "Write: send records as one JSON array (true) or in chunks of N."},
            "body_key": {"type": "string", "description": "Write with batch: wrap the array as {body_key: [...]}."},
            "idempotency_header": {"type": ["string", "null"],
                                   "description": "Header carrying the idempotency key (default Idempotency-Key; "
                                                  "null to send none)."},
            "duplicate_status": {"type": "array", "items": {"type": "integer", "minimum": 400, "maximum": 499},
                                 "description": "Write: answers meaning the record is already there (e.g. 409); "
                                                "counted as delivered before, not as errors."},
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 256,
                            "description": "Write: requests in flight at once for one batch (default 1, in order)."},
        },
    },
    "soapOperation": {
        "type": "object",
        "description": "One SOAP operation. The envelope is a sandboxed Jinja template (XML-escaped); the answer is "
                       "parsed to a dict with namespace prefixes dropped. Client faults are terminal, Server faults "
                       "are retried.",
        "additionalProperties": False,
        "required": ["operation"],
        "properties": {
            "operation": {"type": "string", "minLength": 1, "description": "Operation name (default SOAPAction)."},
            "envelope": {"type": "string", "description": "Envelope template file, relative to the spec directory. "
                                                          "Variables: record fields, `record`, `key`, `state`, `params`. "
                                                          "Without it, a plain envelope of the record's fields is sent."},
            "path": {"type": "string", "description": "Endpoint path under the system's base_url."},
            "soap_action": {"type": "string", "description": "SOAPAction value (default: the operation)."},
            "version": {"enum": ["1.1", "1.2"], "description": "SOAP version (default 1.1)."},
            "namespace": {"type": "string", "description": "Namespace of the default envelope's operation element."},
            "params": {"type": "object", "description": "Read: variables for the envelope."},
            "records": {**ref("jmespath"), "description": "Read: where the records are inside the response Body."},
            "result": {**ref("jmespath"), "description": "Write: what to keep from each response Body."},
            "page_size": {"type": "integer", "minimum": 1,
                          "description": "Batch read: records per page (the envelope gets page, page_size, since)."},
        },
    },
    "sqlOperation": {
        "type": "object",
        "description": "SQLite or PostgreSQL (by the system's base_url). Read: a query fetched in chunks. "
                       "Write: an upsert, one transaction per batch.",
        "additionalProperties": False,
        "properties": {
            "query": {"type": "string", "minLength": 1,
                      "description": "Read: SELECT with `:name` parameters from `params` and the resume state."},
            "params": {"type": "object", "description": "Read: query parameter values."},
            "chunk_size": {"type": "integer", "minimum": 1, "description": "Read: rows per page (default 1000)."},
            "table": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$",
                      "description": "Write: target table (optionally schema.table)."},
            "primary_key": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
                            "description": "Write: conflict columns of the upsert."},
            "mode": {"enum": ["merge", "upsert", "insert", "append"],
                     "description": "Write: merge (INSERT … ON CONFLICT DO UPDATE, the default with a primary key) "
                                    "or insert/append."},
        },
        "oneOf": [{"required": ["query"]}, {"required": ["table"]}],
    },
    "fileOperation": {
        "type": "object",
        "description": "CSV or JSON Lines under the system's directory. Reads take a glob; writes are atomic "
                       "(temporary file, fsync, rename).",
        "additionalProperties": False,
        "required": ["path"],
        "properties": {
            "path": {"type": "string", "minLength": 1,
                     "description": "Relative path or glob (read); may use {date}, {time}, {uuid} (write)."},
            "format": {"enum": ["csv", "jsonl"], "description": "File format (default: from the extension)."},
            "mode": {"enum": ["append", "replace"], "description": "Write: keep existing records (default) or not."},
            "chunk_size": {"type": "integer", "minimum": 1, "description": "Read: records per page (default 1000)."},
            "delimiter": {"type": "string", "minLength": 1, "maxLength": 1, "description": "CSV delimiter (default ,)."},
            "encoding": {"type": "string", "description": "Text encoding (default utf-8)."},
            "fields": {"type": "array", "items": {"type": "string"}, "description": "CSV write: column order."},
        },
    },
    "deliveryPolicy": {
        "type": "object",
        "description": "Retries with exponential backoff and full jitter (Retry-After honoured), and a circuit "
                       "breaker per target system. 4xx other than 408/429 is terminal; 5xx, 408, 429 and timeouts "
                       "are retried; what is left goes to the dead-letter store.",
        "additionalProperties": False,
        "properties": {
            "retries": {"type": "integer", "minimum": 0, "maximum": 100,
                        "description": "Retries after the first attempt (default 5)."},
            "backoff": {
                "type": "object",
                "additionalProperties": False,
                "description": "Exponential backoff: the n-th wait is uniform in [0, min(max, initial·multiplier^(n-1))].",
                "properties": {
                    "initial": {**ref("duration"), "description": "First backoff cap (default 500ms)."},
                    "max": {**ref("duration"), "description": "Largest backoff cap (default 30s)."},
                    "multiplier": {"type": "number", "minimum": 1, "description": "Growth factor (default 2)."},
                },
            },
            "timeout": {**ref("duration"), "description": "Per-attempt timeout (default 10s)."},
            "max_retry_after": {**ref("duration"),
                                "description": "Longest server Retry-After honoured for one wait (default 5m)."},
            "retry_on_status": {"type": "array", "items": {"type": "integer", "minimum": 400, "maximum": 499},
                                "description": "Extra 4xx statuses to treat as transient for this integration."},
            "circuit_breaker": {
                "type": "object",
                "additionalProperties": False,
                "description": "Per target system: opens after `failures` consecutive transient failures, "
                               "half-opens after `reset`.",
                "properties": {
                    "failures": {"type": "integer", "minimum": 1, "description": "Threshold (default 5)."},
                    "reset": {**ref("duration"), "description": "Open time before a trial call (default 30s)."},
                    "half_open_max": {"type": "integer", "minimum": 1, "description": "Trial calls (default 1)."},
                },
            },
        },
    },
}
