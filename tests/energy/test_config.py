"""``[energy]`` as issue 18 writes it, read by the loader; bad tables name the key."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from rsu.config.loader import config_from_dict, load_config
from rsu.errors import ConfigError

ISSUE_18 = """
[rsu]
id = "rsu-1"

[[energy.sites]]
id = "hub-1"
name = "Main St"
latitude = 42.2810
longitude = -83.7425
source = "ocpi"                       # "ocpi" | "modbus" | "cloud" | "sim"
stale_after_s = 300
interval_ms = 1000                    # broadcast interval
[energy.sites.ocpi]
url = "https://cpo.example/ocpi/2.2.1/locations/LOC1"
token_file = "/etc/rsu/ocpi.token"
poll_s = 30
"""


def test_the_keys_of_issue_18_load() -> None:
    cfg = config_from_dict(tomllib.loads(ISSUE_18))
    assert cfg.energy is not None
    (site,) = cfg.energy.sites
    assert (site.id, site.identity.name, site.source) == ("hub-1", "Main St", "ocpi")
    assert (site.identity.latitude, site.identity.longitude) == (42.2810, -83.7425)
    assert (site.stale_after_s, site.interval_ms) == (300.0, 1000)
    assert site.ocpi is not None
    assert site.ocpi.url == "https://cpo.example/ocpi/2.2.1/locations/LOC1"
    assert (site.ocpi.token_file, site.ocpi.poll_s) == ("/etc/rsu/ocpi.token", 30.0)
    assert "energy" in cfg.sections


def test_defaults_stale_after_300_s() -> None:
    data = tomllib.loads(ISSUE_18.replace("stale_after_s = 300\n", ""))
    cfg = config_from_dict(data)
    assert cfg.energy is not None
    assert cfg.energy.sites[0].stale_after_s == 300.0


def test_the_demo_config_has_a_sim_hub() -> None:
    from rsu.config.loader import demo_config_path

    cfg = load_config(demo_config_path())
    assert cfg.energy is not None
    assert [s.source for s in cfg.energy.sites] == ["sim"]


def _site(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "s",
        "name": "S",
        "latitude": 1.0,
        "longitude": 2.0,
        "source": "cloud",
    }
    return {**base, **over}


@pytest.mark.parametrize(
    ("sites", "where"),
    [
        ([], "energy.sites"),
        ([_site(source="grid")], "energy.sites[0].source"),
        ([_site(source="ocpi")], "energy.sites[0].ocpi"),
        ([_site(source="modbus")], "energy.sites[0].modbus"),
        ([_site(ocpi={"url": "https://x/", "token_file": "t"})], "energy.sites[0].ocpi"),
        ([_site(id="has space")], "energy.sites[0].id"),
        ([_site(name="")], "energy.sites[0].name"),
        ([_site(latitude=91.0)], "energy.sites[0].latitude"),
        ([_site(longitude=float("nan"))], "energy.sites[0].longitude"),
        ([_site(stale_after_s=float("inf"))], "energy.sites[0].stale_after_s"),
        ([_site(interval_ms=10)], "energy.sites[0].interval_ms"),
        ([_site(), _site()], "energy.sites[1].id"),
        ([_site(colour="red")], "energy.sites[0].colour"),
        ([_site(source="sim", sim={"bays": [{"standard": "Tesla"}]})], "energy.sites[0].sim"),
    ],
)
def test_bad_energy_tables_name_the_key(sites: list[dict[str, Any]], where: str) -> None:
    data = {"rsu": {"id": "r"}, "energy": {"sites": sites}}
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data)
    assert str(caught.value).startswith(where), str(caught.value)


def test_rsu_config_check_reads_the_token_file(tmp_path: Path) -> None:
    from tests.daemon.helpers import rsu

    text = ISSUE_18.replace("/etc/rsu/ocpi.token", "ocpi.token")
    config = tmp_path / "rsu.toml"
    config.write_text(text)
    missing = rsu("config", "check", str(config))
    assert missing.returncode != 0
    assert "energy.sites[0].ocpi.token_file" in missing.stdout + missing.stderr
    (tmp_path / "ocpi.token").write_text("secret\n")
    ok = rsu("config", "check", str(config))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    row = next(x for x in ok.stdout.splitlines() if x.startswith("energy.sites[0]"))
    assert "site hub-1: ocpi https://cpo.example/ocpi/2.2.1/locations/LOC1" in row
    assert row.rstrip().endswith("TIM ok")
