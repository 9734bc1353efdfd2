"""``[power]`` as the issue gives it, and the errors a wrong one gets."""

from __future__ import annotations

import tomllib

import pytest

from rsu.config.fields import Table
from rsu.errors import ConfigError
from rsu.power.config import PowerConfig

ISSUE = """
[power]
source = "nut"                        # "nut" | "can-bms" | "modbus" | "sim"
[power.nut]
server = "127.0.0.1:3493"
ups = "rsu-ups"
[power.shed]                          # state of charge in percent
camera_below = 40
uplink_below = 25
essential_below = 15
"""


def parse(text: str) -> PowerConfig:
    return PowerConfig.from_table(Table(tomllib.loads(text)["power"], "power"))


def test_the_issue_config_reads_as_written() -> None:
    cfg = parse(ISSUE)
    assert cfg.source == "nut"
    assert cfg.nut is not None
    assert (cfg.nut.server, cfg.nut.ups) == (("127.0.0.1", 3493), "rsu-ups")
    shed = cfg.monitor.shed
    assert (shed.camera_below, shed.uplink_below, shed.essential_below) == (40, 25, 15)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (("camera_below = 40", "camera_below = 10"), "power.shed.camera_below"),
        (("essential_below = 15", "essential_below = nan"), "power.shed.essential_below"),
        (('ups = "rsu-ups"', 'ups = "rsu-ups"\nbrokn = 1'), "power.nut.brokn"),
        (('source = "nut" ', 'source = "snmp" '), "power.source"),
        (("[power.shed]", "[power.sim]\n[power.shed]"), "power.sim"),
        (('server = "127.0.0.1:3493"', 'server = "nowhere"'), "power.nut.server"),
    ],
)
def test_a_wrong_power_table_names_the_key(change: tuple[str, str], where: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse(ISSUE.replace(*change))
    assert where in str(err.value)
