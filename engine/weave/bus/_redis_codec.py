"""How the Redis bus lays messages out in a stream, and the Lua that moves whole batches in one reply.

Entry fields: `p` the payload (JSON), `k` the key (a JSON string), `h` the headers (JSON object); `k` and
`h` only when present. Every field is JSON written by weave, so the read script can splice entries into
one JSON document: a batch of 500 comes back as one bulk string that orjson parses in one call, instead
of ~5 RESP replies per message through redis-py's asyncio parser (the dominant cost otherwise).
Streams under the bus prefix belong to weave: entries written by anything else are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

import orjson

from weave.bus._types import BusError, Message

NO_HEADERS: Mapping[str, str] = MappingProxyType({})
_ID_RE = re.compile(r"^(\d+)(?:-(\d+))?$")
MAX_SEQ = 18446744073709551615

# KEYS[1] stream; ARGV[1] maxlen ('' = none); ARGV[2] '~' or '='; ARGV[3] the batch as lines:
# payload, key or '', headers or '' per message. Compact JSON (orjson) never holds a raw newline, and one
# argument instead of three per message spares redis-py encoding 1,500 arguments per batch.
PUBLISH = """
local ids = {}
local maxlen, approx = ARGV[1], ARGV[2]
local parts, n = {}, 0
for line in string.gmatch(ARGV[3], '([^\\n]*)\\n') do
  n = n + 1
  parts[n] = line
end
for i = 1, n, 3 do
  local f = {'p', parts[i]}
  if parts[i + 1] ~= '' then f[#f + 1] = 'k'; f[#f + 1] = parts[i + 1] end
  if parts[i + 2] ~= '' then f[#f + 1] = 'h'; f[#f + 1] = parts[i + 2] end
  if maxlen ~= '' then
    ids[#ids + 1] = redis.call('XADD', KEYS[1], 'MAXLEN', approx, maxlen, '*', unpack(f))
  else
    ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', unpack(f))
  end
end
return table.concat(ids, ' ')
"""


def publish_lines(items: list[tuple[bytes, bytes, bytes]]) -> bytes:
    """(payload, key, headers) triples -> the PUBLISH script's batch argument."""
    return b"".join(b"%s\n%s\n%s\n" % item for item in items)


# KEYS[1] stream; ARGV: group, consumer, count. Non-blocking XREADGROUP '>' as one JSON document.
READ = """
local r = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], '>')
if not r then return '' end
local out = {}
for _, e in ipairs(r[1][2]) do
  local f = e[2]
  local p, k, h = nil, 'null', 'null'
  if f then
    for j = 1, #f, 2 do
      local name = f[j]
      if name == 'p' then p = f[j + 1] elseif name == 'k' then k = f[j + 1] elseif name == 'h' then h = f[j + 1] end
    end
  end
  if p then out[#out + 1] = '["' .. e[1] .. '",' .. p .. ',' .. k .. ',' .. h .. ']' end
end
return '[' .. table.concat(out, ',') .. ']'
"""

# KEYS[1] the key; ARGV: 'busy:<token>', ttl ms. Same token again: extends (leases renew this way).
CLAIM = """
local v = redis.call('GET', KEYS[1])
if (not v) or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 'acquired'
end
if string.sub(v, 1, 5) == 'done:' then return 'done' end
return 'busy'
"""


def parse_id(message_id: str) -> tuple[int, int]:
    m = _ID_RE.match(message_id) if isinstance(message_id, str) else None
    if not m:
        raise BusError(f"invalid message id {message_id!r} for the Redis bus (ids look like 1700000000000-0)")
    return int(m.group(1)), int(m.group(2) or 0)


def id_before(ms: int, seq: int) -> str:
    if seq > 0:
        return f"{ms}-{seq - 1}"
    return f"{ms - 1}-{MAX_SEQ}" if ms > 0 else "0-0"


def decode_batch(topic: str, blob: bytes) -> list[Message]:
    """The READ script's document -> messages (first delivery)."""
    try:
        rows = orjson.loads(blob)
    except orjson.JSONDecodeError as exc:
        raise BusError(f"stream of topic {topic!r} holds an entry not written by weave: {exc}") from None
    return [
        Message(mid, topic, payload, key, headers or NO_HEADERS, int(mid[: mid.index("-")]) / 1000, 1)
        for mid, payload, key, headers in rows
    ]


def decode_entry(topic: str, raw_id: bytes, fields: Mapping[bytes, bytes], count: int) -> Message:
    """One entry as redis-py returns it (XREADGROUP with BLOCK, XAUTOCLAIM)."""
    try:
        key = fields.get(b"k")
        headers = fields.get(b"h")
        return Message(
            raw_id.decode(),
            topic,
            orjson.loads(fields[b"p"]),
            orjson.loads(key) if key is not None else None,
            orjson.loads(headers) if headers else NO_HEADERS,
            int(raw_id.split(b"-", 1)[0]) / 1000,
            count,
        )
    except (KeyError, orjson.JSONDecodeError) as exc:
        raise BusError(f"stream of topic {topic!r} holds an entry not written by weave: {exc}") from None
