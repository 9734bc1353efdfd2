"""IEEE 1609.2 verification and signing throughput, next to decode, in-process and through
``rsu decode --verify`` (the command a user runs).

    .venv/bin/python bench/security.py [--seconds 2] [--json]

Pinned to one CPU core. Traffic: 200 senders, each with its own explicit authorization
certificate issued by a test CA (root -> CA -> sender), sending BSMs at 10 Hz with the full
certificate once a second and its HashedId8 digest in between (J2945/1 practice), so 9 in 10
frames need a certificate cached from earlier frames. The cache is warm (every sender heard
once) before timing. Measured:

- ``verify``: ``Verifier.verify`` on that stream (frames/s, certificate-cache hit rate);
- ``decode``: ``Codec.decode`` (framing + UPER + JER) of the same frames, the same-run
  baseline: ``added_us`` is what verification adds per received frame;
- ``sign``: ``Signer.sign`` of a MAP frame (digest signer), frames/s;
- ``cli``: ``rsu decode --file F --format summary`` with and without ``--verify --trust``
  on the same file, wall time of the whole command (start-up included) and per frame.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rsu.security.keys import MemoryKeyStore  # noqa: E402
from rsu.security.pki import Subject, issue_with_key, make_test_pki  # noqa: E402
from rsu.security.sign import Signer  # noqa: E402
from rsu.security.times import utc_to_time32  # noqa: E402
from rsu.security.trust import TrustStore  # noqa: E402
from rsu.security.verify import Verifier  # noqa: E402
from rsu.v2x.codec import get_codec  # noqa: E402
from tests.v2x.vectors import VECTORS  # noqa: E402

NOW = 1_780_000_000.0
SENDERS = 200
HZ = 10
BSM_PSID = 32


def bsm_frames(n: int) -> list[bytes]:
    frames = []
    with (VECTORS / "j2735_real.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["hex"].startswith("0014"):
                frames.append(bytes.fromhex(rec["hex"]))
            if len(frames) == n:
                break
    return frames


def traffic(seconds_of_air: int = 3) -> tuple[TrustStore, list[bytes], list[bytes]]:
    """(store with our anchors, one warm-up second, the timed stream) of 200 senders."""
    now32 = utc_to_time32(NOW)
    pki = make_test_pki(now32, psids=(BSM_PSID, 130, 2113687))
    store = TrustStore()
    store.add_anchor(pki.root.cert)
    store.add_intermediate(pki.ca.cert)
    frames = bsm_frames(SENDERS)
    signers = []
    for _ in range(SENDERS):
        ee = issue_with_key(pki.ca, Subject(None, now32 - 60, 7 * 86400, app_psids=(BSM_PSID,)))
        assert ee.key is not None
        signers.append(Signer(MemoryKeyStore(ee.key), ee.cert, mode="auto"))
    stream = []
    for tick in range(HZ * (seconds_of_air + 1)):
        t = NOW + tick / HZ
        for s, signer in enumerate(signers):
            stream.append(signer.sign(frames[s % len(frames)], BSM_PSID, t + s * 1e-4))
    return store, stream[: SENDERS * HZ], stream[SENDERS * HZ :]


def rate(fn: Callable[[bytes], object], items: list[bytes], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while True:
        for item in items:
            fn(item)
        count += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def cli(stream: list[bytes], trust: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "frames.hex"
        path.write_text("".join(f.hex() + "\n" for f in stream))
        base = [sys.executable, "-m", "rsu.cli.main", "decode", "--file", str(path)]
        base += ["--format", "summary"]
        out = {}
        for name, extra in (("decode", []), ("decode_verify", ["--verify", "--trust", str(trust),
                            "--at", "2026-05-28T20:26:41Z"])):  # fmt: skip
            start = time.perf_counter()
            subprocess.run([*base, *extra], check=False, stdout=subprocess.DEVNULL, cwd=ROOT)
            out[f"{name}_s"] = round(time.perf_counter() - start, 3)
        out["frames"] = len(stream)
        out["added_us_per_frame"] = round(
            (out["decode_verify_s"] - out["decode_s"]) / len(stream) * 1e6, 1
        )
        return out


def trust_dir(store: TrustStore, where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    for name, entry in (("root.oer", next(iter(store.anchors.values()))),
                        ("ca.oer", next(iter(store.intermediates.values())))):  # fmt: skip
        (where / name).write_bytes(entry.cert.encoded)
    return where


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    store, warm, stream = traffic()
    verifier = Verifier(store)
    for spdu in warm:  # every sender heard once: the certificate cache is warm
        verifier.verify(spdu, NOW + 1)
    store.n.cache_hits = store.n.cache_misses = 0
    results = [verifier.verify(s, NOW + 2).result for s in stream[: SENDERS * HZ]]
    assert set(results) == {"valid"}, set(results)
    verify_rate = rate(lambda s: verifier.verify(s, NOW + 2), stream, args.seconds)
    hit_rate = store.stats()["cache_hit_rate"]
    codec = get_codec("j2735")
    decode_rate = rate(codec.decode, stream, args.seconds)
    pki = make_test_pki(utc_to_time32(NOW))
    assert pki.rsu.key is not None
    signer = Signer(MemoryKeyStore(pki.rsu.key), pki.rsu.cert, mode="digest")
    map_frame = bytes.fromhex("0012830538023000205ea2094d3a3e202ca7783451fa02dc3858")
    sign_rate = rate(lambda f: signer.sign(f, 2113687, NOW), [map_frame] * 50, args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        cmd = cli(stream[: SENDERS * HZ], trust_dir(store, Path(tmp) / "trust"))
    report = {
        "machine": f"{platform.machine()} {platform.processor() or ''} {os.cpu_count()} cpus"
        f", python {platform.python_version()}, load {os.getloadavg()[0]:.2f}",
        "senders": SENDERS,
        "hz": HZ,
        "verify_per_s": round(verify_rate),
        "cache_hit_rate": hit_rate,
        "decode_per_s": round(decode_rate),
        "decode_us": round(1e6 / decode_rate, 1),
        "verify_us": round(1e6 / verify_rate, 1),
        "added_us": round(1e6 / verify_rate, 1),
        "sign_per_s": round(sign_rate),
        "cli": cmd,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for key, value in report.items():
        print(f"{key:16} {value}")


if __name__ == "__main__":
    main()
