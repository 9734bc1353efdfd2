"""Registry, config tables, the bounded queue, counters and the V2X sniffer."""

from __future__ import annotations

import threading

import pytest

from rsu.config.fields import Table
from rsu.errors import BackendError, ConfigError
from rsu.queues import DROP_NEWEST, BoundedQueue
from rsu.radio import BACKENDS, RadioConfig, RadioCounters, open_radio
from rsu.radio.sniff import read_psid, sniff


def test_issue_config_contract_reads() -> None:
    data = {
        "backend": "rsu41",
        "rsu41": {"listen": "127.0.0.1:26789", "ifm_target": "127.0.0.1:1516"},
        "serial": {"port": "/dev/ttyUSB1", "baudrate": 115200},
        "sim": {"seed": 3, "vehicles": 2},
    }
    cfg = RadioConfig.from_table(Table(data, "radio"))
    assert cfg.backend == "rsu41"
    assert cfg.rsu41.listen == ("127.0.0.1", 26789)
    assert cfg.rsu41.ifm_target == ("127.0.0.1", 1516)
    assert (cfg.serial.port, cfg.serial.baudrate, cfg.sim.seed) == ("/dev/ttyUSB1", 115200, 3)


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"backend": "dsrc"}, "radio.backend"),
        ({"rsu41": {"listen": "nowhere"}}, "radio.rsu41.listen"),
        ({"serial": {"baud": 9600}}, "radio.serial.baud"),
        ({"sim": {"vehicles": -1}}, "radio.sim.vehicles"),
    ],
)
def test_bad_radio_config_names_the_dotted_path(data: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError, match=where.replace(".", r"\.")):
        RadioConfig.from_table(Table(data, "radio"))


def test_registry_names_every_backend_and_unknown_is_a_backend_error() -> None:
    assert set(BACKENDS) == {"serial", "rsu41", "sim"}
    with pytest.raises(BackendError, match="unknown radio backend"):
        open_radio(RadioConfig(backend="lora"))


def test_bounded_queue_drops_oldest_and_counts_under_concurrency() -> None:
    q: BoundedQueue[int] = BoundedQueue(100)

    def produce(base: int) -> None:
        for i in range(1000):
            q.put(base + i)

    threads = [threading.Thread(target=produce, args=(k * 10_000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(q) == 100
    assert q.dropped == 3900
    assert q.put_count == 4000
    assert q.get(timeout=0.0) is not None
    assert len(q.drain(10)) == 10
    assert len(q.drain()) == 89
    assert q.get(timeout=0.01) is None


def test_a_drop_newest_queue_refuses_when_full_and_wakes_a_shared_event_on_put() -> None:
    wake = threading.Event()
    q: BoundedQueue[str] = BoundedQueue(2, policy=DROP_NEWEST, wake=wake)
    assert q.put("a")
    assert q.put("b")
    assert wake.is_set()
    assert not q.put("c")  # refused, counted; what was accepted stays
    assert (q.drain(), q.dropped, q.put_count) == (["a", "b"], 1, 2)
    with pytest.raises(ValueError, match="policy"):
        BoundedQueue(2, policy="drop_random")


def test_counters_by_direction_psid_and_type() -> None:
    c = RadioCounters()
    c.received(0x20)
    c.received(0x20)
    c.decoded(0x20, "BSM")
    c.decode_failed(0x20)
    c.received(None)
    c.sent(0x8002, "SPAT")
    c.send_failed(0x8002, "SPAT")
    snap = c.snapshot()
    assert snap["total"] == {"received": 3, "decoded": 1, "failed": 1, "sent": 1, "send_failed": 1}
    assert snap["by_psid"]["0x20"] == {  # type: ignore[index]
        "received": 2,
        "decoded": 1,
        "failed": 1,
        "sent": 0,
        "send_failed": 0,
    }
    assert snap["by_psid"]["unknown"]["received"] == 1  # type: ignore[index]
    assert snap["by_type"]["SPAT"]["send_failed"] == 1  # type: ignore[index]


def test_psid_p_encoding_lengths() -> None:
    assert read_psid(bytes([0x20]), 0) == (0x20, 1)
    assert read_psid(bytes([0x80, 0x02]), 0) == (0x8002, 2)
    assert read_psid(bytes([0xE0, 0x00, 0x00, 0x17]), 0) == (0xE0000017, 4)
    assert read_psid(bytes([0xF0]), 0) is None


def test_sniffer_recognises_the_shapes_and_rejects_text() -> None:
    assert sniff(bytes.fromhex("00148025")).message_type == "BSM"
    assert sniff(bytes.fromhex("0380 05 0014802501")).kind == "dot2"
    wsmp = sniff(bytes.fromhex("0300 8002 05 0013802501"))
    assert (wsmp.kind, wsmp.psid, wsmp.message_type) == ("wsmp", 0x8002, "SPAT")
    assert not sniff(b"Version=0.7\n").is_v2x
    assert not sniff(b"").is_v2x
