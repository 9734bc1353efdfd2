"""The one exception tree of rsu-edge.

Every error a user can see is an ``RsuError``. Subclasses also inherit the matching builtin so
callers that only know Python's own exceptions still catch them sensibly. Vendor exceptions
(asn1tools, paho, python-can, pyserial, onnxruntime, OpenCV) are converted at the edge with
``raise ... from err``.
"""

from __future__ import annotations


class RsuError(Exception):
    """Base of every error rsu-edge raises on purpose."""


class ConfigError(RsuError, ValueError):
    """A configuration file or value is wrong; the message names the dotted path."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.detail = message


class UsageError(RsuError, ValueError):
    """A command-line argument is wrong (exit code 2)."""


# --- V2X codec -----------------------------------------------------------------------------


class CodecError(RsuError, ValueError):
    """Base of encode/decode errors in ``rsu.v2x``."""


class DecodeError(CodecError):
    """Bytes that do not decode. Names the message, the field path and the bit offset."""

    def __init__(
        self,
        reason: str,
        *,
        message: str | None = None,
        path: str = "",
        bit_offset: int | None = None,
        data: bytes = b"",
    ) -> None:
        self.reason = reason
        self.message_type = message
        self.path = path
        self.bit_offset = bit_offset
        self.data = data
        super().__init__(self._render())

    def _render(self) -> str:
        where = ".".join(p for p in (self.message_type, self.path) if p)
        text = f"{where}: {self.reason}" if where else self.reason
        if self.bit_offset is not None:
            text += f" (at bit {self.bit_offset})"
        return text

    def as_dict(self) -> dict[str, object]:
        """The JSON form used by ``rsu decode`` for a line that failed."""
        return {
            "kind": type(self).__name__,
            "message": self.message_type,
            "path": self.path,
            "bit_offset": self.bit_offset,
            "reason": self.reason,
            "hex": self.data.hex(),
        }


class FramingError(DecodeError):
    """No MessageFrame could be found in what the radio delivered (WSMP / 1609.2 layer)."""


class EncodeError(CodecError):
    """A value that cannot be encoded: unknown member, wrong type or out of its constraint."""

    def __init__(self, reason: str, *, message: str | None = None, path: str = "") -> None:
        self.reason = reason
        self.message_type = message
        self.path = path
        where = ".".join(p for p in (message, path) if p)
        super().__init__(f"{where}: {reason}" if where else reason)


class UnknownStandardError(CodecError, LookupError):
    """A message set (standard) that this build does not know."""


# --- hardware edges --------------------------------------------------------------------------


class BackendError(RsuError, LookupError):
    """A backend name is unknown or its optional dependency is missing."""


class RadioError(RsuError, OSError):
    """The radio link (serial firmware, RSU 4.1 UDP) failed."""


class RadioTimeoutError(RadioError, TimeoutError):
    """The radio did not answer in time."""


class ProtocolVersionError(RadioError):
    """The firmware speaks a protocol version this host does not."""


class SensorError(RsuError, OSError):
    """A CAN sensor (radar, power unit) failed."""


class CameraError(RsuError, OSError):
    """A camera source failed to open or stalled."""


class ModelError(RsuError, ValueError):
    """A detector model is missing or does not have the expected inputs/outputs."""


# --- uplink --------------------------------------------------------------------------------


class UplinkError(RsuError, OSError):
    """The MQTT uplink failed (connection, TLS, credentials)."""


class SpoolError(RsuError, OSError):
    """The durable spool failed (disk full, corrupt database)."""


class CommandError(RsuError, ValueError):
    """A downlink command is malformed, unknown or has bad values."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- security --------------------------------------------------------------------------


class SecurityError(RsuError, ValueError):
    """A 1609.2 certificate, trust directory or CRL cannot be used."""


class KeyStoreError(SecurityError):
    """The signing key cannot be loaded or used (PEM file, PKCS#11 token)."""


# --- daemon --------------------------------------------------------------------------------


class DaemonError(RsuError, RuntimeError):
    """The daemon could not start, or the control socket failed."""


class ControlError(DaemonError):
    """The CLI could not talk to a running daemon over the control socket."""
