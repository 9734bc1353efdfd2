"""The pure parts: PSIDs and times, SET planning (RowStatus), secrets, the state file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rsu.errors import ConfigError, ManagementError
from rsu.management import smi, state
from rsu.management.config import read_secret
from rsu.management.tables import MSG_REPEAT, Row
from rsu.management.view import Identity, ManagementView
from rsu.management.writes import plan

ENTRY = MSG_REPEAT.entry


def _view(rows: dict[int, Row] | None = None) -> ManagementView:
    tables = {MSG_REPEAT.name: rows or {}}
    return ManagementView(Identity("r", "0"), "operate", 1e9, 1.0, 1e9 - 1, tables=tables)


@pytest.mark.parametrize(
    ("octets", "psid"),
    [("20", 0x20), ("00000020", 0x20), ("20000000", 0x20), ("8002", 0x8002),
     ("80020000", 0x8002), ("e0000017", 0xE0000017)],
)  # fmt: skip
def test_psids_read_padded_either_way(octets: str, psid: int) -> None:
    assert smi.decode_psid(bytes.fromhex(octets)) == psid


@pytest.mark.parametrize("octets", ["80", "0080", "ffffffff", "f0000000", "", "0102030405"])
def test_invalid_psids_are_refused(octets: str) -> None:
    with pytest.raises(ValueError, match="PSID"):
        smi.decode_psid(bytes.fromhex(octets))


def test_date_and_time_round_trips_and_rejects_nonsense() -> None:
    assert smi.decode_time(smi.encode_time(1_700_000_000.0)) == 1_700_000_000.0
    assert smi.decode_time(bytes(8)) is None
    with pytest.raises(ValueError, match="date"):
        smi.decode_time(bytes.fromhex("07e90d0100000000"))  # month 13


def test_create_and_go_with_the_status_in_the_middle_makes_one_active_row() -> None:
    varbinds = [
        ((*ENTRY, 2, 5), smi.octets(b"\x80\x02")),
        ((*ENTRY, 9, 5), smi.integer(smi.CREATE_AND_GO)),
        ((*ENTRY, 4, 5), smi.integer(250)),
    ]
    change = plan(_view(), varbinds, "admin")
    (rc,) = change.rows
    assert rc.created
    assert rc.row is not None
    assert (rc.row.get(9), rc.row.get(4), rc.row.get(3)) == (smi.ACTIVE, 250, 183)


@pytest.mark.parametrize(
    ("varbinds", "status", "index"),
    [
        ([((*ENTRY, 4, 1), smi.integer(100))], "noCreation", 0),
        ([((*ENTRY, 4, 1), smi.octets(b"x")), ((*ENTRY, 9, 1), smi.integer(4))], "wrongType", 0),
        ([((*ENTRY, 9, 1), smi.integer(3))], "wrongValue", 0),  # notReady cannot be set
        ([((*ENTRY, 9, 101), smi.integer(4))], "noCreation", 0),  # beyond maxRsuMsgRepeat
        ([((*ENTRY, 10, 1), smi.integer(64)), ((*ENTRY, 9, 1), smi.integer(4))], "wrongValue", 0),
        ([((*ENTRY, 9, 2), smi.integer(4)), ((*ENTRY, 1, 2), smi.integer(1))], "notWritable", 1),
    ],
)
def test_refused_sets_name_the_varbind(varbinds: list, status: str, index: int) -> None:
    with pytest.raises(ManagementError) as err:
        plan(_view(), varbinds, "admin")
    assert (err.value.status, err.value.index) == (status, index)


def test_create_on_an_existing_row_is_inconsistent_and_destroy_of_none_is_fine() -> None:
    row = Row.of(1, {**MSG_REPEAT.defaults(), 9: smi.ACTIVE})
    with pytest.raises(ManagementError) as err:
        plan(_view({1: row}), [((*ENTRY, 9, 1), smi.integer(4))], "a")
    assert err.value.status == "inconsistentValue"
    (rc,) = plan(_view(), [((*ENTRY, 9, 8), smi.integer(smi.DESTROY))], "a").rows
    assert rc.row is None


def test_secret_files_others_can_read_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "auth"
    path.write_text("long-enough-secret\n")
    path.chmod(0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        read_secret(path, "snmp.users[0].auth_password_file")
    path.chmod(0o600)
    assert read_secret(path, "x") == "long-enough-secret"
    path.write_text("short\n")
    with pytest.raises(ConfigError, match="8 to 256"):
        read_secret(path, "x")


def test_a_corrupt_state_file_is_set_aside_and_valid_rows_survive(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json")
    fresh = state.load(path)
    assert fresh.tables == {}
    assert (tmp_path / "s.json.bad").exists()
    assert len(fresh.engine_id) == 13
    good = Row.of(2, {**MSG_REPEAT.defaults(), 7: b"\x00\x13"})
    state.save(path, state.State({MSG_REPEAT.name: {2: good}}, "standby", None, b"\x80" * 9, 4))
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    back = state.load(path)
    assert back.tables[MSG_REPEAT.name][2] == good
    assert (back.mode, back.boots) == ("standby", 4)


def test_config_check_reads_the_secret_files_and_refuses_nan(tmp_path: Path) -> None:
    from rsu.config.loader import config_from_dict
    from rsu.management.config import secret_files

    secret = tmp_path / "community"
    secret.write_text("a-community-string\n")
    secret.chmod(0o604)
    snmp = {"listen": "127.0.0.1:1161", "communities": [{"community_file": str(secret)}]}
    config = config_from_dict({"rsu": {"id": "r"}, "snmp": snmp})
    assert config.snmp is not None
    with pytest.raises(ConfigError, match=r"snmp.communities\[0\].community_file: .* mode 0604"):
        secret_files(config.snmp)
    secret.chmod(0o600)
    assert secret_files(config.snmp) == [
        ["snmp.communities[0].community_file", str(secret), "readable, private"]
    ]
    with pytest.raises(ConfigError, match=r"snmp\.set_timeout_s"):
        config_from_dict({"rsu": {"id": "r"}, "snmp": {**snmp, "set_timeout_s": float("nan")}})
