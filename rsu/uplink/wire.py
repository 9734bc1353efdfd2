"""What a spooled row looks like on the wire: JSON or CBOR, optionally zlib, always-array.

Pure functions. The spool keeps records as compact JSON (one per line of a row); the publisher
turns a row into publish payloads here, in the encoding ``[uplink]`` asks for, and names it in
the MQTT 5 content type so consumers know how to read it:

| encoding, compression | content type |
|---|---|
| ``json`` (default) | ``application/json`` |
| ``cbor`` | ``application/cbor`` (RFC 8949; one map per record, an array for a batch) |
| ``json`` + ``zlib`` | ``application/json+zlib`` (the JSON above, zlib-compressed, RFC 1950) |
| ``cbor`` + ``zlib`` | ``application/cbor+zlib`` |
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

ENCODINGS = ("json", "cbor")
COMPRESSIONS = ("none", "zlib")
ZLIB_LEVEL = 6
"""Wire compression (the spool uses level 1 for speed; the backhaul is worth level 6)."""


def _loads() -> Callable[[bytes], Any]:
    try:
        import orjson

        return orjson.loads
    except ImportError:  # pragma: no cover - optional speed-up
        return json.loads


@dataclass(frozen=True, slots=True)
class WireFormat:
    """How rows become payloads. ``always_array``: a batched stream sends a JSON array even
    when one record is waiting (consumers then never see an object on such a topic)."""

    encoding: str = "json"
    compression: str = "none"
    always_array: bool = False

    @property
    def content_type(self) -> str:
        base = f"application/{self.encoding}"
        return base if self.compression == "none" else f"{base}+{self.compression}"

    @property
    def plain(self) -> bool:
        """True when payloads are the stored JSON bytes as they are (today's wire)."""
        return self.encoding == "json" and self.compression == "none"

    def payloads(self, records: Sequence[bytes], batch: bool) -> list[bytes]:
        """One payload for a batch row (an array, or the object alone unless
        ``always_array``), else one payload per record."""
        if not batch:
            return [self._finish(r) for r in records]
        if len(records) > 1 or self.always_array:
            return [self._finish(b"[" + b",".join(records) + b"]")]
        return [self._finish(records[0])]

    def _finish(self, data: bytes) -> bytes:
        if self.encoding == "cbor":
            data = to_cbor(data)
        if self.compression == "zlib":
            data = zlib.compress(data, ZLIB_LEVEL)
        return data


def to_cbor(json_bytes: bytes) -> bytes:
    """CBOR of a JSON document (cbor2, the ``mqtt`` extra)."""
    import cbor2

    data: bytes = cbor2.dumps(_loads()(json_bytes))
    return data


def decode_payload(payload: bytes, content_type: str | None) -> Any:
    """The inverse, for tests, benches and consumers written in Python."""
    ctype = content_type or "application/json"
    if ctype.endswith("+zlib"):
        payload = zlib.decompress(payload)
        ctype = ctype.removesuffix("+zlib")
    if ctype == "application/cbor":
        import cbor2

        return cbor2.loads(payload)
    return json.loads(payload)
