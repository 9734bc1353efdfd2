"""V2X frames out of packet captures (pcap and pcapng), as field engineers record them.

Two kinds of capture carry V2X:

- **beside an RSU**: the UDP datagrams of its received-message forwarding (RSU 4.1 / NTCIP 1218:
  one datagram per message heard, the bytes as received: bare UPER, or 1609.2 / WSMP wrapped),
  its immediate-forward text frames (``Version=...`` ... ``Payload=<hex>``), or hex text;
  over Ethernet, Linux cooked (SLL, SLL2), raw IP or loopback link types;
- **over the air**: IEEE 802.11 (OCB) frames, bare or behind radiotap, whose LLC/SNAP header
  carries ethertype 0x88DC (IEEE 1609.3 WSMP); and WSMP straight on Ethernet.

No link type for C-V2X PC5 captures is documented in the pcap link-type registry; a PC5 modem
log is read through the UDP or WSMP forms above once the modem forwards it.

Capture files are parsed by dpkt (both pcap and pcapng, either byte order; pcapng files use
the link type of their first interface). Each frame found says where it came from (packet
number, time, link, addresses). A packet that carries no V2X (DNS, ARP, SNMP...) is skipped and
counted; a damaged capture ends with one error record, never a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1",
    b"\xa1\xb2\xc3\xd4",
    b"\x4d\x3c\xb2\xa1",
    b"\xa1\xb2\x3c\x4d",
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
ETH_P_WSMP = 0x88DC
"""IEEE 1609.3 WSMP ethertype."""
_LINKS = {0: "null", 1: "ethernet", 101: "raw", 105: "802.11", 108: "loop", 113: "sll"}
_LINKS.update({127: "radiotap", 228: "ipv4", 229: "ipv6", 276: "sll2"})
MAX_PAYLOAD = 65_535


@dataclass(frozen=True, slots=True)
class CapturedFrame:
    """One V2X payload found in a capture (or the error that ended reading it)."""

    payload: bytes | None
    origin: dict[str, Any]
    error: str | None = None


@dataclass(slots=True)
class CaptureStats:
    packets: int = 0
    frames: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, why: str) -> None:
        self.skipped[why] = self.skipped.get(why, 0) + 1


class _BadPayload(ValueError):
    """A packet meant as V2X whose payload cannot be read (an IFM with a non-hex Payload)."""


def _peek(handle: IO[bytes]) -> bytes:
    """The first 4 bytes of ``handle`` without consuming them (a pipe cannot seek back)."""
    peek = getattr(handle, "peek", None)
    if peek is not None:
        return bytes(peek(4)[:4])
    head = handle.read(4)
    handle.seek(0)
    return head


def looks_like_capture(handle: IO[bytes]) -> bool:
    """Whether the bytes ``handle`` is about to give start a pcap or pcapng capture."""
    return is_capture(_peek(handle))


def is_capture(head: bytes) -> bool:
    """Whether ``head`` (the first 4 bytes of a file) starts a pcap or pcapng capture."""
    return head[:4] in PCAP_MAGICS or head[:4] == PCAPNG_MAGIC


def read_capture(
    handle: IO[bytes], name: str, stats: CaptureStats, udp_ports: frozenset[int] = frozenset()
) -> Iterator[CapturedFrame]:
    """The V2X payloads of the capture in ``handle``, in capture order."""
    import dpkt

    try:
        head = _peek(handle)
        reader: Any = (dpkt.pcapng.Reader if head == PCAPNG_MAGIC else dpkt.pcap.Reader)(handle)
        linktype = int(reader.datalink())
    except Exception as err:  # dpkt raises ValueError, struct.error, ... on a bad header
        yield CapturedFrame(None, {"file": name}, f"not a readable pcap/pcapng capture: {err}")
        return
    link = _LINKS.get(linktype, f"linktype {linktype}")
    packets = iter(reader)
    while True:
        try:
            item = next(packets, None)
        except Exception as err:  # a truncated or damaged record: stop with one error
            where = {"file": name, "packet": stats.packets + 1}
            yield CapturedFrame(None, where, f"capture damaged: {type(err).__name__}: {err}")
            return
        if item is None:
            return
        stats.packets += 1
        timestamp, data = item
        origin: dict[str, Any] = {"file": name, "packet": stats.packets, "link": link}
        when = _utc(timestamp)
        if when is not None:
            origin["time"] = when
        try:
            found = _payload(linktype, bytes(data), origin, udp_ports, stats)
        except _BadPayload as err:
            stats.frames += 1
            yield CapturedFrame(None, origin, str(err))
            continue
        if found is not None:
            stats.frames += 1
            yield CapturedFrame(found, origin)


def _utc(timestamp: float) -> str | None:
    try:
        when = datetime.fromtimestamp(float(timestamp), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return when.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _payload(
    linktype: int,
    data: bytes,
    origin: dict[str, Any],
    udp_ports: frozenset[int],
    stats: CaptureStats,
) -> bytes | None:
    import dpkt

    try:
        layer = _network_layer(linktype, data, origin)
    except (dpkt.Error, ValueError, KeyError, IndexError, TypeError, AttributeError):
        stats.skip("undecodable link layer")
        return None
    if layer is None:
        stats.skip(f"not supported: {origin['link']}")
        return None
    kind, body = layer
    if kind == "other":
        stats.skip(f"not ip or wsmp: {origin['link']}")
        return None
    if kind == "wsmp":
        origin["via"] = "wsmp"
        return bytes(body)
    return _from_ip(body, origin, udp_ports, stats)


def _network_layer(linktype: int, data: bytes, origin: dict[str, Any]) -> tuple[str, Any] | None:
    """("wsmp", bytes) or ("ip", dpkt IP packet) or ("other", ...) for one link-layer frame."""
    import dpkt

    if linktype in (101, 228, 229):
        return "ip", data
    if linktype in (0, 108):
        return "ip", data[4:]
    if linktype == 1:
        eth = dpkt.ethernet.Ethernet(data)
        origin["src"], origin["dst"] = _mac(eth.src), _mac(eth.dst)
        return _by_ethertype(eth.type, eth.data)
    if linktype in (113, 276):  # Linux cooked captures (tcpdump -i any): v1 and v2 headers
        cooked = (dpkt.sll.SLL if linktype == 113 else dpkt.sll2.SLL2)(data)
        return _by_ethertype(cooked.ethtype, data[cooked.__hdr_len__ :])
    if linktype in (105, 127):
        frame = dpkt.radiotap.Radiotap(data).data if linktype == 127 else None
        if frame is None:
            frame = dpkt.ieee80211.IEEE80211(data)
        return _from_80211(frame, origin)
    return None


def _by_ethertype(ethertype: int, body: Any) -> tuple[str, Any]:
    """Bytes, or the packet dpkt already parsed (IP behind Ethernet)."""
    if ethertype == ETH_P_WSMP:
        return "wsmp", bytes(body)
    if ethertype in (0x0800, 0x86DD):
        return "ip", body
    return "other", None


def _from_80211(frame: Any, origin: dict[str, Any]) -> tuple[str, Any]:
    import dpkt

    data_frame = getattr(frame, "data_frame", None)
    if frame.type != dpkt.ieee80211.DATA_TYPE or data_frame is None:
        return "other", None
    origin["src"], origin["dst"] = _mac(data_frame.src), _mac(data_frame.dst)
    payload = bytes(frame.data) if not isinstance(frame.data, bytes) else frame.data
    if len(payload) < 8 or payload[:3] != b"\xaa\xaa\x03":
        return "other", None
    return _by_ethertype(int.from_bytes(payload[6:8], "big"), payload[8:])


def _mac(value: bytes) -> str:
    return ":".join(f"{b:02x}" for b in bytes(value))


def _from_ip(
    data: Any, origin: dict[str, Any], udp_ports: frozenset[int], stats: CaptureStats
) -> bytes | None:
    import dpkt

    packet: Any = data
    if isinstance(data, bytes | bytearray):
        if not data:
            stats.skip("not ip")
            return None
        try:
            packet = dpkt.ip.IP(data) if data[0] >> 4 == 4 else dpkt.ip6.IP6(data)
        except (dpkt.Error, ValueError, IndexError):
            stats.skip("undecodable ip")
            return None
    udp = packet.data
    if not isinstance(udp, dpkt.udp.UDP):
        stats.skip("not udp")
        return None
    src, dst = _address(packet.src), _address(packet.dst)
    origin["src"], origin["dst"] = f"{src}:{udp.sport}", f"{dst}:{udp.dport}"
    return _from_udp(bytes(udp.data), udp.sport, udp.dport, origin, udp_ports, stats)


def _address(raw: bytes) -> str:
    import ipaddress

    try:
        return str(ipaddress.ip_address(bytes(raw)))
    except ValueError:
        return bytes(raw).hex()


def _from_udp(
    body: bytes,
    sport: int,
    dport: int,
    origin: dict[str, Any],
    udp_ports: frozenset[int],
    stats: CaptureStats,
) -> bytes | None:
    from rsu.radio.sniff import sniff

    if udp_ports and sport not in udp_ports and dport not in udp_ports:
        stats.skip("other udp port")
        return None
    text = _ifm_payload(body)
    if text is not None:
        origin["via"] = "ifm"
        return text
    hexed = _hex_text(body)
    if hexed is not None:
        origin["via"] = "udp-hex"
        return hexed
    if not udp_ports and not sniff(body).is_v2x:
        stats.skip("udp without v2x")
        return None
    origin["via"] = "udp"
    return body


def _ifm_payload(body: bytes) -> bytes | None:
    """The ``Payload=`` of an RSU 4.1 immediate-forward text datagram (``None`` if not one)."""
    if not body.startswith(b"Version="):
        return None
    for line in body.splitlines():
        key, sep, value = line.partition(b"=")
        if sep and key.strip() == b"Payload":
            try:
                return bytes.fromhex(value.strip().decode("ascii"))
            except (UnicodeDecodeError, ValueError):
                raise _BadPayload("immediate-forward datagram: Payload is not hex") from None
    raise _BadPayload("immediate-forward datagram without a Payload line")


def _hex_text(body: bytes) -> bytes | None:
    text = body.strip()
    if len(text) < 6 or len(text) % 2 or len(text) > 2 * MAX_PAYLOAD:
        return None
    try:
        return bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        return None
