"""``rsu decode`` as a CLI under mutated input: only exit codes 0/1/2, one JSON line per input
line, never a traceback or a hang (each run has a timeout), with and without ``--jobs``.

Inputs are real frames of both standards, mutated (bit flips, truncation, bytes inserted or
deleted, hex damaged, huge lines, NUL and non-ASCII characters), as hex lines through the real
console entry point, and damaged capture files.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import dpkt
import pytest

from tests.cli.command import rsu_decode
from tests.v2x.vectors import load

J2735 = [f.get("outer_hex") or f["hex"] for f in load("j2735_real.jsonl")]
CSAE = [f["hex"] for f in load("csae53_real.jsonl") + load("csae53_generated.jsonl")]


def _mutate(rng: random.Random, text: str) -> str:
    data = bytearray(bytes.fromhex(text))
    kind = rng.randrange(9)
    if kind == 0:  # bit flips
        for _ in range(rng.randint(1, 6)):
            i = rng.randrange(len(data) * 8)
            data[i // 8] ^= 0x80 >> (i % 8)
        return data.hex()
    if kind == 1:  # truncation
        return data[: rng.randrange(len(data))].hex()
    if kind == 2:  # bytes inserted
        at = rng.randrange(len(data) + 1)
        return (
            data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 8))) + data[at:]
        ).hex()
    if kind == 3:  # bytes deleted
        at = rng.randrange(len(data))
        return (data[:at] + data[at + rng.randint(1, 4) :]).hex()
    if kind == 4:  # a length-looking octet overwritten
        data[rng.randrange(len(data))] = rng.choice([0x00, 0x7F, 0x80, 0xBF, 0xC4, 0xFF])
        return data.hex()
    if kind == 5:  # damaged hex
        hexed = list(data.hex())
        hexed[rng.randrange(len(hexed))] = rng.choice("gZ-: \t\x00é中")
        return "".join(hexed)
    if kind == 6:  # odd digit count, prefixes, separators
        return rng.choice(["0x", "", " "]) + data.hex(rng.choice([" ", ":", "-"]))[:-1]
    if kind == 7:  # huge
        return data.hex() * rng.randint(200, 400)
    return text  # unchanged


def _lines_for(standard: str, seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pool = J2735 if standard == "j2735" else CSAE
    out = [_mutate(rng, rng.choice(pool)) for _ in range(count)]
    out += ["", "   ", "# note", "\x00\x00", "ff" * 40_000]
    rng.shuffle(out)
    return out


def _expected_lines(lines: list[str]) -> int:
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize(("standard", "jobs"), [("j2735", "1"), ("j2735", "2"), ("csae53", "2")])
def test_mutated_lines_through_the_real_command(tmp_path: Path, standard: str, jobs: str) -> None:
    lines = _lines_for(standard, seed=len(standard) * 10 + int(jobs), count=700)
    source = tmp_path / "mutated.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = rsu_decode("--standard", standard, "-j", jobs, "--file", str(source))
    assert result.returncode in (0, 1), result.stderr[-2000:]
    assert b"Traceback" not in result.stderr
    out = result.stdout.decode().splitlines()
    assert len(out) == _expected_lines(lines)
    records = [json.loads(line) for line in out]
    assert all(isinstance(r, dict) and r for r in records)
    errors = [r["error"] for r in records if "error" in r]
    assert errors  # mutants do fail, and say why
    assert all(isinstance(e.get("reason"), str) and e["reason"] for e in errors)
    assert len(errors) < len(records)  # and unchanged frames still decode


def test_binary_garbage_on_stdin_and_bad_arguments(tmp_path: Path) -> None:
    rng = random.Random(7)
    garbage = bytes(rng.randrange(256) for _ in range(20_000))
    result = rsu_decode("--file", "-", stdin=garbage)
    assert result.returncode in (0, 1)
    assert b"Traceback" not in result.stderr
    for args in (["--jobs", "99999"], ["--udp-port", "0", "00"], ["--format", "x", "00"]):
        bad = rsu_decode(*args)
        assert bad.returncode == 2
        assert b"Traceback" not in bad.stderr


def test_mutated_capture_files(tmp_path: Path) -> None:
    rng = random.Random(11)
    good = tmp_path / "good.pcap"
    with good.open("wb") as fh:
        writer = dpkt.pcap.Writer(fh, linktype=1)
        for i, frame in enumerate(J2735[:40]):
            udp = dpkt.udp.UDP(sport=9, dport=1516, data=bytes.fromhex(frame))
            udp.ulen = len(udp)
            ip = dpkt.ip.IP(src=b"\x0a\x00\x00\x02", dst=b"\x0a\x00\x00\x01", p=17, data=udp)
            ip.len = len(ip)
            writer.writepkt(bytes(dpkt.ethernet.Ethernet(type=0x0800, data=ip)), ts=1e9 + i)
    data = good.read_bytes()
    for n in range(12):
        mutant = bytearray(data)
        for _ in range(rng.randint(1, 30)):
            mutant[rng.randrange(24, len(mutant))] = rng.randrange(256)
        if n % 3 == 0:
            mutant = mutant[: rng.randrange(24, len(mutant))]
        path = tmp_path / f"mutant{n}.pcap"
        path.write_bytes(bytes(mutant))
        result = rsu_decode("--file", str(path))
        assert result.returncode in (0, 1), result.stderr[-2000:]
        assert b"Traceback" not in result.stderr
        for line in result.stdout.decode().splitlines():
            record = json.loads(line)
            assert "capture" in record
