"""Delivery against a real mosquitto: broker down at start, broker restarted mid-stream, TLS
and password auth. Every record accepted arrives, ids checked."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rsu.uplink.records import Record, message_body
from rsu.uplink.service import Uplink
from rsu.v2x.message import V2xMessage
from tests.conftest import Broker
from tests.uplink.conftest import Collector, make_config, wait_until

TOPICS = ["rsu/rsu-0042/#"]


def records_of(messages: list[V2xMessage], n: int, tag: str) -> list[Record]:
    out = []
    for i in range(n):
        msg = messages[i % len(messages)]
        rid = f"{tag}-{i:06d}"
        body = message_body(msg, record_id=rid, rsu_id="rsu-0042", received_at=1.7e9 + i)
        out.append(Record(rid, f"v2x/{msg.short_name}", body, batch=msg.short_name == "BSM"))
    return out


def register_session(broker: Broker, collect: Callable[..., Collector]) -> Collector:
    """A persistent subscriber known to the broker before the test's outage starts."""
    broker.start()
    sub = collect(broker.url, TOPICS, persistent=True)
    broker.stop()
    return sub


def test_broker_down_at_start_then_backlog_arrives_in_order(
    tmp_path: Path,
    broker_factory: Callable[..., Broker],
    collect: Callable[..., Collector],
    messages: list[V2xMessage],
) -> None:
    broker = broker_factory(persistent=True)
    sub = register_session(broker, collect)
    up = Uplink(make_config(tmp_path, broker.url))
    up.start()
    try:
        records = records_of(messages, 600, "down")
        assert all(up.submit(r) for r in records)
        assert wait_until(lambda: up.stats().pending == 600)
        assert not up.stats().connected
        broker.start()
        assert up.wait_drained(20.0)
        assert wait_until(lambda: len(sub.ids()) >= 600)
    finally:
        up.stop()
    got = sub.ids()
    assert sorted(set(got)) == [r.id for r in records]
    for stream in {r.stream for r in records}:  # order is kept per stream
        want = [r.id for r in records if r.stream == stream]
        assert [i for i in sub.ids(f"rsu/rsu-0042/{stream}") if i in set(want)] == want
    assert up.stats().acked == 600


def test_broker_restarted_mid_stream_loses_nothing(
    tmp_path: Path,
    broker_factory: Callable[..., Broker],
    collect: Callable[..., Collector],
    messages: list[V2xMessage],
) -> None:
    broker = broker_factory(persistent=True)
    sub = register_session(broker, collect)
    broker.start()
    up = Uplink(make_config(tmp_path, broker.url, inflight=32))
    up.start()
    records = records_of(messages, 3000, "mid")

    def feed() -> None:
        for r in records:
            while not up.submit(r):
                time.sleep(0.001)
            time.sleep(0.0003)

    feeder = threading.Thread(target=feed)
    try:
        assert wait_until(lambda: up.stats().connected)
        feeder.start()
        assert wait_until(lambda: up.stats().acked > 300)
        broker.stop()
        time.sleep(0.3)
        broker.start()
        feeder.join(30.0)
        assert up.wait_drained(30.0)
        assert wait_until(lambda: len(set(sub.ids())) >= 3000, timeout=20.0)
    finally:
        up.stop()
    assert sorted(set(sub.ids())) == [r.id for r in records]
    assert up.stats().connects >= 2


def _tls_material(tmp: Path) -> tuple[Path, Path, Path]:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=rsu-test-ca",
    )
    run("req", *ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (tmp / "san.ext").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "2",
        "-extfile",
        "san.ext",
    )
    return tmp / "ca.crt", tmp / "server.crt", tmp / "server.key"


def test_tls_with_password_delivers_and_bad_password_keeps_spool(
    tmp_path: Path,
    broker_factory: Callable[..., Broker],
    collect: Callable[..., Collector],
    messages: list[V2xMessage],
) -> None:
    ca, cert, key = _tls_material(tmp_path)
    pw = tmp_path / "passwd"
    subprocess.run(
        ["mosquitto_passwd", "-b", "-c", str(pw), "rsu", "good-secret"],
        check=True,
        capture_output=True,
    )
    pw.chmod(0o644)
    broker = broker_factory(tls=(ca, cert, key), passwords=pw).start()
    assert broker.url.startswith("mqtts://")
    sub = collect(broker.url, TOPICS, auth=("rsu", "good-secret"), ca_certs=str(ca))
    secret = tmp_path / "secret"
    secret.write_text("good-secret\n")
    cfg = make_config(
        tmp_path,
        broker.url,
        ca_file=str(ca),
        username="rsu",
        password_file=str(secret),
        protocol="5",
    )
    up = Uplink(cfg)
    up.start()
    try:
        assert all(up.submit(r) for r in records_of(messages, 50, "tls"))
        assert up.wait_drained(15.0)
        assert wait_until(lambda: len(sub.ids()) == 50)
    finally:
        up.stop()

    secret.write_text("wrong\n")
    bad = Uplink(
        make_config(
            tmp_path / "bad", broker.url, ca_file=str(ca), username="rsu", password_file=str(secret)
        )
    )
    bad.start()
    try:
        assert all(bad.submit(r) for r in records_of(messages, 5, "nope"))
        assert not bad.wait_drained(1.0)
        assert not bad.stats().connected
        assert bad.stats().pending == 5
    finally:
        bad.stop()
    assert not any(i.startswith("nope") for i in sub.ids())
