"""The daemon's security stage, the [security] config, expiry states and alarms, PSIDs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from rsu.config.loader import config_from_dict
from rsu.errors import ConfigError, SecurityError
from rsu.security.config import SecurityConfig
from rsu.security.expiry import certificate_status, expiry_alarms
from rsu.security.setup import check_broadcasts
from rsu.security.stage import SecurityStage
from rsu.security.times import utc_to_time32, utc_to_time64
from rsu.v2x.psid import pdecode_psid, pencode_psid, pencoded_hex, to_integer, to_pencoded
from tests.security.helpers import FRAME, MAP, NOW, pki

CFG = SecurityConfig(trust_dir="t", verify="all")


def _stage(**changes: object) -> SecurityStage:
    return SecurityStage(replace(CFG, **changes), pki().verifier(), pki().signer())  # type: ignore[arg-type]


def _forged() -> bytes:
    spdu = bytearray(pki().signer().sign(FRAME, MAP, NOW))
    spdu[12] ^= 0xFF
    return bytes(spdu)


def test_invalid_messages_are_forwarded_marked_by_default_and_counted_per_psid() -> None:
    stage = _stage()
    good = stage.on_received(pki().signer().sign(FRAME, MAP, NOW), "MAP", None, NOW)
    bad = stage.on_received(_forged(), "MAP", None, NOW)
    assert (good.result.result, good.forward) == ("valid", True)
    assert (bad.result.result, bad.forward) == ("invalid_signature", True)
    row = stage.n.by_psid[str(MAP)]
    assert (row["valid"], row["invalid_signature"]) == (1, 1)
    assert stage.status_at(NOW)["received"]["psid_form"] == "integer"


def test_drop_policy_drops_failures_but_never_valid_or_unsecured() -> None:
    stage = _stage(invalid="drop")
    assert not stage.on_received(_forged(), "MAP", None, NOW).forward
    assert stage.on_received(pki().signer().sign(FRAME, MAP, NOW), "MAP", None, NOW).forward
    assert stage.on_received(b"\x03\x80\x03abc", "MAP", None, NOW).forward  # unsecured
    assert stage.n.dropped == 1


def test_first_then_every_verifies_the_first_of_each_sender_then_every_nth() -> None:
    stage = _stage(verify="first-then-every", verify_every=3)
    spdu = pki().signer().sign(FRAME, MAP, NOW)
    got = [stage.on_received(spdu, "BSM", "abcd", NOW).result.result for _ in range(7)]
    assert got == ["valid", "not_verified", "not_verified", "valid", "not_verified",
                   "not_verified", "valid"]  # fmt: skip
    assert stage.on_received(spdu, "BSM", "beef", NOW).result.result == "valid"  # new sender


def test_policy_per_message_type_and_none() -> None:
    stage = _stage(verify="none", verify_by_type=(("MAP", "all"),))
    spdu = pki().signer().sign(FRAME, MAP, NOW)
    assert stage.on_received(spdu, "MAP", None, NOW).result.result == "valid"
    assert stage.on_received(spdu, "BSM", None, NOW).result.result == "not_verified"


def test_signing_by_type_or_entry_name_uses_the_pencoded_psid_of_the_radio_side() -> None:
    stage = _stage(sign=("MAP", "spat-main"))
    assert stage.wants_signing("MAP", "")
    assert stage.wants_signing("SPAT", "spat-main")
    assert not stage.wants_signing("SPAT", "other")
    signed = stage.sign_frame(FRAME, 0xE0000017, NOW)
    assert pki().verifier().verify(signed, NOW).psid == MAP


def test_a_signed_broadcast_whose_psid_the_certificate_lacks_is_a_config_error() -> None:
    stage = SecurityStage(
        replace(CFG, sign=("BSM",)), None, pki().signer(pki().end_entity(app_psids=(MAP,)))
    )
    check_broadcasts(stage, [("map", "MAP", 0xE0000017)])
    with pytest.raises(SecurityError, match=r"broadcast\.messages\[1\]"):
        check_broadcasts(stage, [("map", "MAP", 0xE0000017), ("bsm", "BSM", 0x20)])
    with pytest.raises(ConfigError, match="not a p-encoded PSID"):
        check_broadcasts(stage, [("bsm", "BSM", 0x7F00)])


def test_certificate_expiry_states_hours_and_alarms() -> None:
    ee = pki().end_entity(start=utc_to_time32(NOW), duration_s=10 * 86400)
    cert = ee.cert
    future = certificate_status(cert, NOW - 60)
    assert (future.state, future.ntcip_state) == ("future", 4)
    fresh = certificate_status(cert, NOW)
    assert (fresh.state, fresh.ntcip_state, fresh.hours_left) == ("valid", 2, 240)
    assert expiry_alarms(fresh, NOW, 7.0)[0] == ()
    late = NOW + 4 * 86400
    raised, cleared = expiry_alarms(certificate_status(cert, late), late, 7.0)
    assert [a.kind for a in raised] == ["certificate_expiring"]
    assert "certificate_expired" in cleared
    gone = NOW + 10 * 86400
    raised, cleared = expiry_alarms(certificate_status(cert, gone), gone, 7.0)
    assert [(a.kind, a.severity, a.source) for a in raised] == [
        ("certificate_expired", "critical", "security")
    ]
    assert certificate_status(cert, gone).hours_left == 0
    assert "certificate_expiring" in cleared


def test_config_section_errors_name_the_key() -> None:
    base = {"rsu": {"id": "r1"}}
    cases = {
        "security.verify": {"verify": "maybe"},
        "security.trust_dir": {"verify": "all"},
        "security.certificate": {"verify": "none", "sign": ["MAP"]},
        "security.key": {"verify": "none", "sign": ["MAP"], "certificate": "c"},
        "security.pkcs11": {"verify": "none", "key": "k", "pkcs11": {"module": "m",
                            "token": "t", "key": "k"}},
        "security.verify_every": {"verify": "none", "verify_every": 0},
        "security.pkcs11.pin": {"verify": "none", "pkcs11": {"module": "m", "token": "t",
                                "key": "k", "pin": "1234"}},
    }  # fmt: skip
    for where, table in cases.items():
        with pytest.raises(ConfigError) as err:
            config_from_dict({**base, "security": table})
        assert err.value.path == where, (where, err.value)
    assert config_from_dict(base).security is None


@pytest.mark.parametrize(
    ("pencoded", "integer"),
    [(0x20, 32), (0x7F, 127), (0x8002, 130), (0x8003, 131), (0x8010, 144), (0xBFFF, 0x407F),
     (0xC00000, 0x4080), (0xE0000017, 2113687), (0xEFFFFFFF, 0x1020407F)],
)  # fmt: skip
def test_psid_forms_convert_both_ways(pencoded: int, integer: int) -> None:
    assert to_integer(pencoded) == integer
    assert to_pencoded(integer) == pencoded
    octets = pencode_psid(integer)
    assert pdecode_psid(octets, 0) == (integer, len(octets))
    assert pencoded_hex(integer) == f"0x{pencoded:X}"


@pytest.mark.parametrize("bad", [0x7F00, 0xF0000000, 0x1FFFF, -1])
def test_values_that_are_not_pencodings_are_refused(bad: int) -> None:
    with pytest.raises(ValueError, match="p-encoded PSID"):
        to_integer(bad)


def test_time_keeps_the_leap_seconds_of_1609_2() -> None:
    utc = datetime(2019, 11, 21, 13, 27, 54, 447061, tzinfo=UTC).timestamp()
    assert utc_to_time64(utc) == 501427679447061  # the VW CAM's: 5 leap seconds since 2004
    assert utc_to_time32(datetime(2019, 11, 19, 3, tzinfo=UTC).timestamp()) == 501217205
