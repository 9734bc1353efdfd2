"""Delivery against a real mosquitto: broker down at start, broker restarted mid-stream, TLS
and password auth. Every record accepted arrives, ids checked."""

from __future__ import annotations

import dataclasses
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

from rsu.uplink.records import Record, message_body
from rsu.uplink.service import Uplink
from rsu.v2x.message import V2xMessage
from tests.conftest import Broker, wait_until
from tests.uplink.conftest import Collector, make_config

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


def _openssl(tmp: Path, *args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=tmp)


EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]


def _issue(tmp: Path, name: str, san: str) -> tuple[Path, Path]:
    """A certificate for ``name`` signed by the test CA in ``tmp``."""
    _openssl(
        tmp, "req", *EC, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}"
    )
    (tmp / f"{name}.ext").write_text(f"subjectAltName={san}\n")
    _openssl(
        tmp,
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        f"{name}.crt",
        "-days",
        "2",
        "-extfile",
        f"{name}.ext",
    )
    return tmp / f"{name}.crt", tmp / f"{name}.key"


def _tls_material(tmp: Path) -> tuple[Path, Path, Path]:
    _openssl(
        tmp,
        "req",
        "-x509",
        *EC,
        "-keyout",
        "ca.key",
        "-out",
        "ca.crt",
        "-days",
        "2",
        "-subj",
        "/CN=rsu-test-ca",
    )
    cert, key = _issue(tmp, "localhost", "DNS:localhost,IP:127.0.0.1")
    return tmp / "ca.crt", cert, key


def test_mutual_tls_and_server_name_check(
    tmp_path: Path,
    broker_factory: Callable[..., Broker],
    collect: Callable[..., Collector],
    messages: list[V2xMessage],
) -> None:
    ca, _, _ = _tls_material(tmp_path)
    wrong_cert, wrong_key = _issue(tmp_path, "elsewhere", "DNS:elsewhere.example")
    client_cert, client_key = _issue(tmp_path, "rsu-0042", "DNS:rsu-0042")
    broker = broker_factory(tls=(ca, wrong_cert, wrong_key), require_client_cert=True).start()
    sub = collect(
        broker.url,
        TOPICS,
        ca_certs=str(ca),
        certfile=str(client_cert),
        keyfile=str(client_key),
        tls_insecure=True,  # the test's subscriber accepts the wrong name on purpose
    )
    tls = {"ca_file": str(ca), "cert_file": str(client_cert), "key_file": str(client_key)}
    checked = Uplink(make_config(tmp_path / "checked", broker.url, **tls))
    checked.start()
    try:  # the server's certificate names another host: no connection
        assert checked.submit(records_of(messages, 1, "nameless")[0])
        assert not checked.wait_drained(1.0)
        assert not checked.stats().connected
    finally:
        checked.stop()
    unchecked = Uplink(
        make_config(tmp_path / "unchecked", broker.url, tls_check_hostname=False, **tls)
    )
    unchecked.start()
    try:
        assert all(unchecked.submit(r) for r in records_of(messages, 20, "mtls"))
        assert unchecked.wait_drained(15.0)
        assert wait_until(lambda: len(sub.ids()) == 20)
    finally:
        unchecked.stop()
    assert not any(i.startswith("nameless") for i in sub.ids())


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
        # enough traffic that a write racing a read on the SSL socket would corrupt a record
        # (it did, before only the network thread was allowed to write)
        for r in records_of(messages, 3000, "tls"):  # one publish each: many writes
            while not up.submit(dataclasses.replace(r, batch=False)):
                time.sleep(0.001)
        assert up.wait_drained(30.0)
        assert wait_until(lambda: len(set(sub.ids())) == 3000)
        assert up.stats().connects == 1
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
