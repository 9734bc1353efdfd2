"""The V2X codec: bytes as radios deliver them <-> ``V2xMessage`` with JER values.

Sans-I/O. One ``Codec`` per message set (``get_codec(name)``, a name of ``rsu.registry``),
compiled once per process (and cached on disk across processes). Decoding finds the
MessageFrame inside WSMP / IEEE 1609.2 envelopes (``rsu.v2x.framing``), decodes UPER with
asn1tools, decodes open types in place and returns JER. Encoding takes JER, checks types and
constraints, and returns UPER. Every failure is a ``DecodeError`` / ``EncodeError`` naming
the message, the field path and (for decoding) the bit offset.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path
from typing import Any

from asn1tools.codecs import uper

from rsu.errors import DecodeError, EncodeError
from rsu.registry import DEFAULT_MESSAGE_SET, message_set
from rsu.v2x import framing
from rsu.v2x.asn1 import CompiledStandard, compile_standard
from rsu.v2x.fastpath import FastDecode
from rsu.v2x.fastpath_build import FastPath, load_fast_path
from rsu.v2x.jer import JerBuilder, choice_members
from rsu.v2x.message import BARE, JerValue, V2xMessage
from rsu.v2x.standards import get_standard

MAX_FRAME_BYTES = 65_535
"""Nothing larger arrives in one UDP datagram or radio PDU; larger input is refused at once."""

# Messages that RSUs and TMCs repeat byte for byte, worth a decode cache.
REPEATING_TYPES = frozenset(
    {
        "MapData",
        "SPAT",
        "TravelerInformation",
        "RoadSideAlert",
        "SignalStatusMessage",
        "RTCMcorrections",
        "RoadSideInformation",
    }
)


class Codec:
    """Encode and decode one standard's messages. Thread-safe for decode and encode."""

    def __init__(
        self, compiled: CompiledStandard, repeat_cache_size: int = 512, fast: bool = True
    ) -> None:
        self.compiled = compiled
        self.standard = compiled.standard
        self._spec = compiled.spec
        self._jer = JerBuilder(compiled.tables, self)
        self._frame = self._compiled(self.standard.frame_type).type
        self._repeat: OrderedDict[bytes, V2xMessage] = OrderedDict()
        self._repeat_size = repeat_cache_size
        self._lock = threading.Lock()
        self._fast: FastDecode | None = None
        self.fast_path: FastPath | None = None
        """The generated decoder (``None`` when switched off); see ``rsu.v2x.fastpath_build``."""
        self._fallbacks: dict[str, int] = {}
        self._known = {k: m.type_name for k, m in message_set(self.standard.name).by_key.items()}
        """The message set's own table: names of ids whose type our modules lack."""
        if fast:
            self.fast_path = load_fast_path(compiled, self._jer, self._compiled, self._frame)
            self._fast = self.fast_path.decode
        if self.standard.frame_style == "id-value":
            self.message_ids: dict[int, str] = self._jer.open_table("value", None)
            self._alternatives: dict[str, str] = {}
        else:
            self.message_ids = {}
            self._alternatives = {
                m.name: getattr(m, "type_name", m.name) for m in choice_members(self._frame)
            }

    # ---- public API -------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.standard.name

    def message_types(self) -> list[str]:
        """The message type names this codec can decode."""
        names = self.message_ids.values() if self.message_ids else self._alternatives.values()
        return sorted({n.rsplit(".", 1)[-1] for n in names})

    def decode(self, data: bytes, *, unwrap: bool = True) -> V2xMessage:
        """Decode what a radio delivered: a bare frame, or one inside WSMP / 1609.2."""
        data = bytes(data)
        if len(data) > MAX_FRAME_BYTES:
            raise DecodeError(f"{len(data)} bytes is larger than any V2X frame", data=data[:64])
        if not unwrap:
            message = self.decode_frame(data)
            if len(message.raw) != len(data):
                raise DecodeError(
                    f"{len(data) - len(message.raw)} bytes after the end of the MessageFrame "
                    "(wrapped or trailing bytes need unwrapping)",
                    message=message.message_type,
                    bit_offset=8 * len(message.raw),
                    data=data,
                )
            return message
        if self._fast is not None and self._maybe_bare(data):
            # Most input is a bare frame: decoded whole, it needs no framing walk at all (the
            # result is the one unwrap would give, since unwrap finds a bare frame there too).
            bare: V2xMessage | None
            try:
                bare = self.decode_frame(data)
            except DecodeError:
                bare = None  # the framing below gives the error it always gave
            if bare is not None and len(bare.raw) == len(data):
                return bare
        found = framing.unwrap(data, standard=self.name)
        message = self.decode_frame(found.frame)
        if found.envelope.kind == "bare" and len(message.raw) == len(data):
            return message
        envelope = found.envelope
        trailing = len(data) - envelope.offset - len(message.raw)
        if envelope.trailing != trailing:
            envelope = replace(envelope, trailing=trailing)
        return V2xMessage(
            message.standard, message.message_type, message.message_id, message.value,
            message.raw, data, envelope, message.frame_choice,
        )  # fmt: skip

    def decode_frame(self, frame: bytes) -> V2xMessage:
        """Decode a bare MessageFrame; bytes after its end are ignored (see ``raw``)."""
        cached = self._repeat.get(frame)
        if cached is not None:
            return cached
        message = self._decode_fast(frame) if self._fast is not None else None
        if message is None:
            message = self._decode_counted(frame)
        if message.message_type in REPEATING_TYPES:
            self._remember(frame, message)
        return message

    def encode(self, frame_jer: JerValue) -> bytes:
        """UPER of a whole MessageFrame given as JER."""
        if self.standard.frame_style == "choice":
            return self.encode_inner(self.standard.frame_type, frame_jer)
        if not isinstance(frame_jer, dict) or set(frame_jer) != {"messageId", "value"}:
            raise EncodeError(
                'a MessageFrame is {"messageId": n, "value": {...}}', message="MessageFrame"
            )
        message_id = frame_jer["messageId"]
        type_ref = self.message_ids.get(message_id) if isinstance(message_id, int) else None
        if type_ref is None:
            raise EncodeError(
                f"unknown messageId {message_id!r}", message="MessageFrame", path="messageId"
            )
        inner = self.encode_inner(type_ref, frame_jer["value"])
        return self._encode_python(
            self.standard.frame_type, {"messageId": message_id, "value": inner}
        )

    def encode_message(self, message_type: str, value_jer: JerValue) -> bytes:
        """UPER of the MessageFrame carrying ``value_jer`` as a ``message_type``."""
        if self.standard.frame_style == "choice":
            for alt, type_ref in self._alternatives.items():
                if type_ref.rsplit(".", 1)[-1] == message_type or alt == message_type:
                    return self.encode({alt: value_jer})
        else:
            for message_id, type_ref in self.message_ids.items():
                if type_ref.rsplit(".", 1)[-1] == message_type:
                    return self.encode({"messageId": message_id, "value": value_jer})
        raise EncodeError(f"unknown message type {message_type!r} in {self.name}")

    def fast_path_fallbacks(self) -> dict[str, int]:
        """Frames the fast path left to the general decoder, per message type (since start).

        ``undecodable`` counts frames neither decoder could read (damaged input).
        """
        with self._lock:
            return dict(self._fallbacks)

    def decode_type(self, type_ref: str, data: bytes) -> JerValue:
        """JER of ``data`` decoded as the ASN.1 type ``type_ref`` (any type, not only frames)."""
        try:
            return self.decode_inner(type_ref, bytes(data))
        except DecodeError as err:
            raise _with_message(err, type_ref) from None

    # ---- InnerCodec (used by the JER converters for open types) -----------------------------

    def decode_inner(self, type_ref: str, data: bytes) -> JerValue:
        node = self._compiled(type_ref).type
        value, _ = self._run_decode(node, data)
        conv = self._jer.to_jer(node)
        return conv(value) if conv is not None else value

    def encode_inner(self, type_ref: str, value: JerValue) -> bytes:
        node = self._compiled(type_ref).type
        try:
            python_value = self._jer.from_jer(node)(value)
        except EncodeError as err:
            raise EncodeError(err.reason, message=_short(type_ref), path=err.path) from None
        return self._encode_python(type_ref, python_value)

    # ---- internals --------------------------------------------------------------------------

    def _compiled(self, type_ref: str) -> Any:
        module, _, name = type_ref.rpartition(".")
        try:
            if module:
                return self._spec.modules[module][name]
            return self._spec.types[name]
        except KeyError:
            raise EncodeError(f"type {type_ref!r} is not in {self.name}") from None

    def _run_decode(self, node: Any, data: bytes) -> tuple[Any, int]:
        decoder = uper.Decoder(bytearray(data))
        try:
            value = node.decode(decoder)
        except Exception as err:  # asn1tools raises many kinds on garbage; all become ours
            raise _decode_error(err, decoder, data) from None
        return value, decoder.number_of_read_bits()

    def _encode_python(self, type_ref: str, value: Any) -> bytes:
        compiled = self._compiled(type_ref)
        try:
            compiled.check_types(value)
            compiled.check_constraints(value)
            return bytes(compiled.encode(value))
        except Exception as err:  # asn1tools' EncodeError/ConstraintsError and type slips
            location = getattr(err, "location_str", "") or ""
            reason = getattr(err, "message", None) or str(err)
            raise EncodeError(reason, message=_short(type_ref), path=location) from None

    def _maybe_bare(self, data: bytes) -> bool:
        """A J2735 frame starts 00 xx and has a non-empty value (what unwrap takes as bare)."""
        return (
            self.standard.frame_style == "id-value"
            and len(data) > 3
            and data[0] == 0
            and data[2] not in (0, 0x80)
        )

    def _decode_counted(self, frame: bytes) -> V2xMessage:
        """The general decoder after a fast path fallback, counted per message type."""
        if self._fast is None:
            return self._decode_general(frame)
        try:
            message = self._decode_general(frame)
        except DecodeError:
            self._count_fallback("undecodable")
            raise
        self._count_fallback(message.message_type)
        return message

    def _count_fallback(self, message_type: str) -> None:
        with self._lock:
            self._fallbacks[message_type] = self._fallbacks.get(message_type, 0) + 1

    def _decode_general(self, frame: bytes) -> V2xMessage:
        """The asn1tools decoder: slow, exact, and the one that explains errors."""
        if self.standard.frame_style == "id-value":
            return self._decode_id_value(frame)
        return self._decode_choice(frame)

    def _decode_fast(self, frame: bytes) -> V2xMessage | None:
        """The generated decoder; ``None`` leaves the frame to the general one."""
        assert self._fast is not None
        try:
            jer, bits = self._fast(int.from_bytes(frame, "big"), 8 * len(frame), 0, frame)
        except Exception:  # past the end, unknown index, anything: the general path decides
            return None
        raw = frame[: (bits + 7) // 8]
        if self.standard.frame_style == "choice":
            ((alternative, value),) = jer.items()
            if alternative is None:  # an extension alternative unknown to this build
                return None
            choice_ref = self._alternatives.get(alternative, str(alternative))
            return V2xMessage(
                self.name, _short(choice_ref), None, value, raw, frame_choice=alternative
            )
        return self._id_value_message(jer["messageId"], jer["value"], raw)

    def _id_value_message(self, message_id: int, value: JerValue, raw: bytes) -> V2xMessage:
        """A J2735 message; an id with no type in our modules keeps its value as hex."""
        type_ref = self.message_ids.get(message_id)
        name = _short(type_ref) if type_ref else self._known.get(message_id, f"Unknown{message_id}")
        return V2xMessage(self.name, name, message_id, value, raw)

    def _decode_id_value(self, frame: bytes) -> V2xMessage:
        top, bits = self._run_decode(self._frame, frame)
        message_id = top.get("messageId")
        type_ref = self.message_ids.get(message_id)
        raw = frame[: (bits + 7) // 8]
        if type_ref is None:
            return self._id_value_message(message_id, top["value"].hex().upper(), raw)
        try:
            value = self.decode_inner(type_ref, top["value"])
        except DecodeError as err:
            shift = getattr(top["value"], "bit_pos", 0)
            raise _with_message(err, _short(type_ref), frame, in_value=True, shift=shift) from None
        return self._id_value_message(message_id, value, raw)

    def _decode_choice(self, frame: bytes) -> V2xMessage:
        top, bits = self._run_decode(self._frame, frame)
        alternative, inner = top
        if alternative is None:
            raise DecodeError(
                "MessageFrame carries an extension alternative this build does not know",
                message=self.standard.frame_type,
                bit_offset=0,
                data=frame,
            )
        type_ref = self._alternatives.get(alternative, alternative)
        conv = self._jer.to_jer(self._frame)
        try:
            jer = conv(top) if conv is not None else {alternative: inner}
        except DecodeError as err:
            raise _with_message(err, _short(type_ref), frame) from None
        raw = frame[: (bits + 7) // 8]
        return V2xMessage(
            self.name, _short(type_ref), None, jer[alternative], raw, frame_choice=alternative
        )

    def _remember(self, frame: bytes, message: V2xMessage) -> None:
        with self._lock:
            self._repeat[frame] = replace(message, outer=None, envelope=BARE)
            if len(self._repeat) > self._repeat_size:
                self._repeat.popitem(last=False)


def _short(type_ref: str) -> str:
    return type_ref.rsplit(".", 1)[-1]


def _decode_error(err: Exception, decoder: Any, data: bytes) -> DecodeError:
    if isinstance(err, DecodeError):
        return err
    location = getattr(err, "location_str", "") or ""
    reason = getattr(err, "message", None) or str(err) or type(err).__name__
    if isinstance(err, RecursionError):
        reason = "nesting too deep"
    return DecodeError(
        str(reason), path=location, bit_offset=decoder.number_of_read_bits(), data=data
    )


def _with_message(
    err: DecodeError,
    message: str,
    frame: bytes | None = None,
    in_value: bool = False,
    shift: int = 0,
) -> DecodeError:
    path = f"value.{err.path}" if in_value and err.path else ("value" if in_value else err.path)
    offset = err.bit_offset + shift if err.bit_offset is not None else None
    return type(err)(
        err.reason,
        message=message,
        path=path,
        bit_offset=offset,
        data=frame if frame is not None else err.data,
    )


_CODECS: dict[str, Codec] = {}
_CODECS_LOCK = threading.Lock()


def get_codec(standard: str = DEFAULT_MESSAGE_SET, cache_dir: Path | None = None) -> Codec:
    """The process-wide codec of ``standard``, compiled on first use."""
    with _CODECS_LOCK:
        codec = _CODECS.get(standard)
        if codec is None:
            codec = Codec(compile_standard(get_standard(standard), cache_dir))
            _CODECS[standard] = codec
        return codec
