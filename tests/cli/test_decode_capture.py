"""``rsu decode --file capture.pcap|.pcapng``: V2X out of real capture files, with origins.

The captures are written by dpkt's own writers (real pcap and pcapng files, no mocks): an
RSU's received-message forwarding (UDP), its immediate-forward text frames, WSMP over the air
in 802.11 behind radiotap, WSMP on Ethernet, and packets that carry no V2X.
"""

from __future__ import annotations

import io
import json
import struct
from pathlib import Path

import dpkt
import pytest

from rsu.cli.main import main
from rsu.radio.rsu41 import format_ifm
from rsu.radio.types import TxRequest
from tests.v2x.vectors import load

J2735 = load("j2735_real.jsonl")
BSM = next(f for f in J2735 if f["messageId"] == 20 and f.get("outer_hex"))
SPAT = next(f for f in J2735 if f["messageId"] == 19)
WSMP = next(f for f in J2735 if "0300e0000017" in (f.get("wrapper") or ""))
T0 = 1_764_000_000.25


def _udp(payload: bytes, sport: int = 50000, dport: int = 1516) -> bytes:
    udp = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(src=bytes([10, 0, 0, 9]), dst=bytes([10, 0, 0, 1]), p=17, data=udp)
    ip.len = len(ip)
    eth = dpkt.ethernet.Ethernet(src=b"\x02" * 6, dst=b"\x04" * 6, type=0x0800, data=ip)
    return bytes(eth)


def _radiotap_wsmp(wsmp: bytes) -> bytes:
    radiotap = struct.pack("<BBHI", 0, 0, 8, 0)  # version, pad, length 8, no fields present
    header = struct.pack("<BBH", 0x88, 0x00, 0)  # QoS data, no DS bits, duration
    header += b"\xff" * 6 + b"\x02\x11\x22\x33\x44\x55" + b"\xff" * 6 + b"\x00\x00" + b"\x00\x00"
    llc = b"\xaa\xaa\x03\x00\x00\x00\x88\xdc"
    return radiotap + header + llc + wsmp


def _pcap(path: Path, linktype: int, packets: list[bytes], ng: bool = False) -> Path:
    with path.open("wb") as fh:
        writer = (dpkt.pcapng.Writer if ng else dpkt.pcap.Writer)(fh, linktype=linktype)
        for i, packet in enumerate(packets):
            writer.writepkt(packet, ts=T0 + i)
    return path


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("ng", [False, True], ids=["pcap", "pcapng"])
def test_rsu_udp_forwarding_and_ifm_frames_decode_with_their_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ng: bool
) -> None:
    dns = dpkt.dns.DNS(id=1, qd=[dpkt.dns.DNS.Q(name="rsu.example")])
    ifm = format_ifm(TxRequest(payload=bytes.fromhex(SPAT["hex"]), psid=0x8002, channel=183))
    packets = [
        _udp(bytes.fromhex(BSM["outer_hex"])),  # received-message forwarding, as heard
        _udp(bytes(dns), 5353, 53),  # no V2X: skipped and counted
        _udp(ifm, 40000, 1516),  # immediate-forward text frame
        _udp(SPAT["hex"].encode() + b"\r\n"),  # hex text
    ]
    capture = _pcap(tmp_path / f"rsu.{'pcapng' if ng else 'pcap'}", 1, packets, ng)
    assert main(["decode", "--file", str(capture)]) == 0
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["messageId"] for line in lines] == [20, 19, 19]
    first, ifm_line, text_line = (line["capture"] for line in lines)
    assert first == {
        "file": str(capture),
        "packet": 1,
        "link": "ethernet",
        "time": "2025-11-24T16:00:00.250000Z",
        "src": "10.0.0.9:50000",
        "dst": "10.0.0.1:1516",
        "via": "udp",
    }
    assert (ifm_line["packet"], ifm_line["via"]) == (3, "ifm")
    assert (text_line["packet"], text_line["via"]) == (4, "udp-hex")
    assert lines[0]["value"]["coreData"]["id"] == BSM["value"]["value"]["coreData"]["id"].upper()
    assert "1 udp without v2x" in captured.err


def test_wsmp_over_the_air_in_80211_behind_radiotap(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = _pcap(tmp_path / "air.pcap", 127, [_radiotap_wsmp(bytes.fromhex(WSMP["outer_hex"]))])
    assert main(["decode", "--format", "summary", "--file", str(capture)]) == 0
    (line,) = _lines(capsys)
    assert line["message_id"] == WSMP["messageId"]
    assert line["envelope"]["wsmp_psid"] is not None  # type: ignore[index]
    origin = line["capture"]
    assert origin["link"] == "radiotap"  # type: ignore[index]
    assert origin["via"] == "wsmp"  # type: ignore[index]
    assert origin["src"] == "02:11:22:33:44:55"  # type: ignore[index]


def test_wsmp_on_ethernet_and_udp_port_filter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eth = dpkt.ethernet.Ethernet(
        src=b"\x02" * 6, dst=b"\xff" * 6, type=0x88DC, data=bytes.fromhex(WSMP["outer_hex"])
    )
    garbage = _udp(b"\x01\x02\x03\x04", 9, 7777)  # on the chosen port: decoded, and it fails
    capture = _pcap(tmp_path / "eth.pcapng", 1, [bytes(eth), garbage], ng=True)
    assert main(["decode", "--udp-port", "7777", "--file", str(capture)]) == 1
    first, second = _lines(capsys)
    assert first["messageId"] == WSMP["messageId"]
    assert first["capture"]["via"] == "wsmp"  # type: ignore[index]
    assert "error" in second
    assert second["capture"]["dst"] == "10.0.0.1:7777"  # type: ignore[index]


def test_a_damaged_capture_ends_with_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = _pcap(tmp_path / "good.pcap", 1, [_udp(bytes.fromhex(SPAT["hex"]))] * 3)
    data = good.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) - 20])  # the last record is cut short
    code = main(["decode", "--file", str(cut)])
    lines = _lines(capsys)
    assert code == 1
    assert [line.get("messageId") for line in lines[:2]] == [19, 19]
    assert len(lines) == 3
    assert "error" in lines[2]
    assert lines[2]["capture"]["packet"] == 3  # type: ignore[index]
    header_only = tmp_path / "header.pcap"
    header_only.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\x00" * 6)  # a pcap magic, then garbage
    assert main(["decode", "--file", str(header_only)]) == 1
    (line,) = _lines(capsys)
    assert "not a readable pcap/pcapng capture" in line["error"]["reason"]  # type: ignore[index]


def test_an_unsupported_link_type_is_counted_not_decoded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capture = _pcap(tmp_path / "ppp.pcap", 9, [b"\xff\x03\x00\x21" + b"\x00" * 30])
    assert main(["decode", "--file", str(capture)]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "not supported: linktype 9" in captured.err


def test_dpkt_reads_what_the_helper_writes() -> None:
    """The fixture itself: a radiotap capture parses to 802.11 QoS data with LLC/SNAP 88DC."""
    packet = dpkt.radiotap.Radiotap(_radiotap_wsmp(b"\x03\x00\x20\x01\x00"))
    frame = packet.data
    assert frame.type == dpkt.ieee80211.DATA_TYPE
    assert bytes(frame.data)[:8] == b"\xaa\xaa\x03\x00\x00\x00\x88\xdc"
    buffer = io.BytesIO()
    dpkt.pcap.Writer(buffer, linktype=127).writepkt(bytes(packet), ts=T0)
    assert buffer.getvalue()[:4] == b"\xd4\xc3\xb2\xa1"


def _ip_udp(payload: bytes) -> bytes:
    return bytes(dpkt.ethernet.Ethernet(_udp(payload)).data)


@pytest.mark.parametrize("linktype", [113, 276], ids=["sll", "sll2"])
def test_linux_cooked_captures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], linktype: int
) -> None:
    """``tcpdump -i any`` writes Linux cooked headers (SLL, and SLL2 since libpcap 1.10)."""
    ip = _ip_udp(bytes.fromhex(SPAT["hex"]))
    if linktype == 113:  # type, ARPHRD, address length, 8 address octets, protocol
        header = struct.pack(">HHH8sH", 4, 772, 6, b"\x00" * 8, 0x0800)
    else:  # protocol, reserved, interface index, ARPHRD, type, address length, 8 octets
        header = struct.pack(">HHiHBB8s", 0x0800, 0, 1, 772, 4, 6, b"\x00" * 8)
    capture = _pcap(tmp_path / "any.pcap", linktype, [header + ip])
    assert main(["decode", "--file", str(capture)]) == 0
    (line,) = _lines(capsys)
    assert line["messageId"] == 19
    assert line["capture"]["link"] == ("sll" if linktype == 113 else "sll2")  # type: ignore[index]
    assert line["capture"]["src"] == "10.0.0.9:50000"  # type: ignore[index]


def test_a_capture_on_stdin(tmp_path: Path) -> None:
    """``tcpdump -U -w - | rsu decode -f -``: the capture arrives on a pipe."""
    from tests.cli.command import rsu_decode

    capture = _pcap(tmp_path / "pipe.pcap", 1, [_udp(bytes.fromhex(SPAT["hex"]))] * 2)
    result = rsu_decode("--file", "-", stdin=capture.read_bytes())
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["capture"]["packet"] for line in lines] == [1, 2]
    assert lines[0]["messageId"] == 19
