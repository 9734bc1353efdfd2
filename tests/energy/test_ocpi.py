"""OCPI 2.2.1 Locations: the parser on fixtures, and the source against a real HTTP server.

The server is http.server on loopback serving Location fixtures written from the OCPI 2.2.1
object model (tests/energy/fixtures); every bad answer of the table in docs/energy.md is
served for real: down, slow, 401, 500, broken JSON, wrong shapes.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from rsu.clock import FakeClock
from rsu.config.fields import Table
from rsu.energy.config import EnergyConfig, SiteConfig
from rsu.energy.model import Connector, EvseStatus, SiteFailure, SiteReading
from rsu.energy.ocpi import OcpiError, parse_location
from rsu.energy.ocpi_http import OcpiSource
from rsu.errors import ConfigError
from rsu.queues import DROP_OLDEST, BoundedQueue
from tests.conftest import free_port
from tests.energy.helpers import TOKEN, Behaviour, fixture, ocpi_server


def site_config(url: str, token_file: Path, **ocpi: Any) -> SiteConfig:
    table = {
        "sites": [
            {
                "id": "hub-1",
                "name": "Main St",
                "latitude": 42.2810,
                "longitude": -83.7425,
                "source": "ocpi",
                "stale_after_s": 300,
                "interval_ms": 1000,
                "ocpi": {"url": url, "token_file": str(token_file), "poll_s": 30, **ocpi},
            }
        ]
    }
    return EnergyConfig.from_table(Table(table, "energy")).sites[0]


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "ocpi.token"
    path.write_text(TOKEN + "\n")
    return path


def source(url: str, token_file: Path, **ocpi: Any) -> OcpiSource:
    queue: BoundedQueue[SiteReading | SiteFailure] = BoundedQueue(8, policy=DROP_OLDEST)
    return OcpiSource(site_config(url, token_file, **ocpi), FakeClock(), queue)


# --- the parser -------------------------------------------------------------------------------


def test_the_location_fixture_maps_onto_the_model() -> None:
    evses, operator = parse_location(fixture("location_main_st.json"))
    assert operator == "Acme Charging"
    by_uid = {e.uid: e for e in evses}
    assert "3261" not in by_uid  # PLANNED: not part of the site yet
    assert by_uid["3256"] == EvseStatus(
        "3256", "available", (Connector("CCS", 150.0), Connector("CHAdeMO", 50.0))
    )
    assert by_uid["3257"].status == "occupied"  # CHARGING
    assert by_uid["3258"].status == "occupied"  # BLOCKED
    assert by_uid["3258"].connectors == (Connector("CCS", 460.0),)  # 920 V x 500 A
    assert by_uid["3259"].status == "out_of_order"
    assert by_uid["3260"].connectors == (Connector("Type 1", 7.7),)  # 240 V x 32 A


@pytest.mark.parametrize(
    ("ocpi", "model"),
    [
        ("AVAILABLE", "available"),
        ("CHARGING", "occupied"),
        ("BLOCKED", "occupied"),
        ("RESERVED", "reserved"),
        ("INOPERATIVE", "out_of_order"),
        ("OUTOFORDER", "out_of_order"),
        ("UNKNOWN", "unknown"),
        ("PLANNED", None),
        ("REMOVED", None),
    ],
)
def test_every_ocpi_status_maps(ocpi: str, model: str | None) -> None:
    body = {
        "data": {
            "id": "L",
            "evses": [{"uid": "1", "status": ocpi, "connectors": [{"standard": "GBT_DC"}]}],
        },
        "status_code": 1000,
    }
    evses, _ = parse_location(json.dumps(body).encode())
    assert [e.status for e in evses] == ([] if model is None else [model])


def _doc(**data: Any) -> bytes:
    return json.dumps({"data": data, "status_code": 1000}).encode()


@pytest.mark.parametrize(
    ("body", "reason", "where"),
    [
        (b'{"data": {"evses": [', "bad_json", "not JSON"),
        (b"\xff\xfe", "bad_json", "not JSON"),
        (b"[1, 2]", "bad_json", "object"),
        (b'{"data": {"evses": []}, "status_code": 2001}', "ocpi_status", "2001"),
        (b'{"data": [], "status_code": 1000}', "bad_shape", "data"),
        (_doc(evses={"uid": "1"}), "bad_shape", "data.evses"),
        (_doc(evses=["x"]), "bad_shape", "data.evses[0]"),
        (_doc(evses=[{"status": "AVAILABLE", "connectors": [{}]}]), "bad_shape", "uid"),
        (
            _doc(evses=[{"uid": "1", "status": "FREE", "connectors": [{"standard": "CHADEMO"}]}]),
            "bad_shape",
            "data.evses[0].status",
        ),
        (_doc(evses=[{"uid": "1", "status": "AVAILABLE"}]), "bad_shape", "connectors"),
        (
            _doc(evses=[{"uid": "1", "status": "AVAILABLE", "connectors": [{"standard": 7}]}]),
            "bad_shape",
            "connectors[0].standard",
        ),
        (
            _doc(
                evses=[
                    {
                        "uid": "1",
                        "status": "AVAILABLE",
                        "connectors": [{"standard": "CHADEMO", "max_electric_power": "50kW"}],
                    }
                ]
            ),
            "bad_shape",
            "max_electric_power",
        ),
        (b'{"data": {"evses": []}, "status_code": 1000, "x": NaN}', "bad_json", "finite"),
        (b" " * (1 << 20) + b"{}", "too_large", "bytes"),
    ],
)
def test_bad_locations_are_errors_naming_the_field(body: bytes, reason: str, where: str) -> None:
    with pytest.raises(OcpiError) as caught:
        parse_location(body)
    assert caught.value.reason == reason
    assert where in str(caught.value)


def test_an_unknown_connector_type_is_other() -> None:
    body = _doc(evses=[{"uid": "1", "status": "AVAILABLE", "connectors": [{"standard": "NEW"}]}])
    evses, _ = parse_location(body)
    assert evses[0].connectors == (Connector("Other", None),)


# --- the source against a real HTTP server ------------------------------------------------


def test_a_poll_sends_the_token_and_reads_the_location(token_file: Path) -> None:
    behaviour = Behaviour()
    with ocpi_server(behaviour) as url:
        src = source(url, token_file)
        result = src.poll_once()
        src.close()
    assert isinstance(result, SiteReading)
    assert len(result.evses) == 5
    assert result.operator == "Acme Charging"
    sent = behaviour.requests[0]
    assert sent["Authorization"] == "Token " + base64.b64encode(TOKEN.encode()).decode()
    assert sent["X-Request-ID"]
    assert sent["X-Correlation-ID"] == sent["X-Request-ID"]
    assert sent["path"] == "/ocpi/2.2.1/locations/LOC1"
    assert src.queue.get(0) == result  # handed to the energy queue


def test_auto_falls_back_to_the_plain_token_and_keeps_it(token_file: Path) -> None:
    behaviour = Behaviour(accept="plain")
    with ocpi_server(behaviour) as url:
        src = source(url, token_file)
        assert isinstance(src.poll_once(), SiteReading)
        assert isinstance(src.poll_once(), SiteReading)
        src.close()
    auth = [r["Authorization"] for r in behaviour.requests]
    assert auth[1:] == [f"Token {TOKEN}", f"Token {TOKEN}"]  # one base64 try, then plain
    assert src.health()["token_encoding"] == "plain"


def test_plain_encoding_sends_the_file_token_as_it_is(token_file: Path) -> None:
    behaviour = Behaviour(accept="both")
    with ocpi_server(behaviour) as url:
        src = source(url, token_file, token_encoding="plain")
        src.poll_once()
        src.close()
    assert behaviour.requests[0]["Authorization"] == f"Token {TOKEN}"


def _failure(result: object) -> SiteFailure:
    assert isinstance(result, SiteFailure), result
    return result


@pytest.mark.parametrize(
    ("behaviour", "reason"),
    [
        (Behaviour(token="another"), "unauthorized"),
        (Behaviour(status=500, body=b"oops"), "http_status"),
        (Behaviour(status=302, body=b""), "http_status"),
        (Behaviour(body=b'{"data": {"evses": [{"uid": '), "bad_json"),
        (Behaviour(body=b"<html>maintenance</html>"), "bad_json"),
        (Behaviour(body=b'{"data": {"evses": 5}, "status_code": 1000}'), "bad_shape"),
        (Behaviour(body=b'{"data": null, "status_code": 3001}'), "ocpi_status"),
        (Behaviour(delay_s=1.0), "timeout"),
    ],
)
def test_bad_answers_are_counted_failures(
    token_file: Path, behaviour: Behaviour, reason: str
) -> None:
    with ocpi_server(behaviour) as url:
        src = source(url, token_file, poll_s=2, timeout_s=0.3)
        failure = _failure(src.poll_once())
        src.close()
    assert failure.reason == reason
    assert failure.site_id == "hub-1"
    assert src.failures == {reason: 1}
    assert src.reads == 0
    assert src.queue.get(0) == failure


def test_a_server_that_is_down_is_unreachable(token_file: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/ocpi/2.2.1/locations/LOC1"  # nobody listens
    src = source(url, token_file, poll_s=2, timeout_s=0.5)
    assert _failure(src.poll_once()).reason == "unreachable"
    src.close()


def test_a_missing_token_file_is_a_failure_not_a_crash(tmp_path: Path) -> None:
    with ocpi_server(Behaviour()) as url:
        src = source(url, tmp_path / "absent.token")
        assert _failure(src.poll_once()).reason == "token_unreadable"
        src.close()


def test_the_thread_polls_until_stopped(token_file: Path) -> None:
    from tests.conftest import wait_until

    behaviour = Behaviour()
    with ocpi_server(behaviour) as url:
        src = source(url, token_file, poll_s=1, timeout_s=0.5)
        src.start()
        try:
            assert wait_until(lambda: src.reads >= 1)
            assert src.health()["running"] is True
        finally:
            src.stop()
    assert src.health()["running"] is False


@pytest.mark.parametrize(
    ("ocpi", "where"),
    [
        ({"url": "ftp://x/"}, "energy.sites[0].ocpi.url"),
        ({"poll_s": 0}, "energy.sites[0].ocpi.poll_s"),
        ({"poll_s": 5, "timeout_s": 5}, "energy.sites[0].ocpi.timeout_s"),
        ({"token_encoding": "rot13"}, "energy.sites[0].ocpi.token_encoding"),
        ({"urll": "x"}, "energy.sites[0].ocpi.urll"),
    ],
)
def test_bad_ocpi_config_names_the_key(ocpi: dict[str, Any], where: str) -> None:
    base = {"url": "https://cpo.example/ocpi/2.2.1/locations/LOC1", "token_file": "t"}
    with pytest.raises(ConfigError) as caught:
        site_config(**{**base, **ocpi})  # type: ignore[arg-type]
    assert str(caught.value).startswith(where)
