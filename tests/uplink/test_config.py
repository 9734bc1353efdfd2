"""The [uplink] table: defaults, TLS, credentials, policies; unknown keys named by path."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsu.errors import ConfigError
from rsu.uplink.config import PRIORITIES, load_uplink_config, read_uplink_config
from tests.uplink.conftest import write_toml


def test_issue_example_with_other_tables_ignored(tmp_path: Path) -> None:
    path = tmp_path / "rsu.toml"
    path.write_text(
        '[rsu]\nid = "rsu-0042"\nname = "x"\n[uplink]\nbroker = "mqtt://127.0.0.1:1883"\n'
        'dialect = "default"\nspool_path = "/var/lib/rsu/spool.db"\n'
        "[radio]\nbackend = 'sim'\nunknown_here = 1\n"
    )
    cfg = load_uplink_config(str(path))
    assert cfg.rsu_id == "rsu-0042"
    assert (cfg.broker.host, cfg.broker.port, cfg.broker.tls) == ("127.0.0.1", 1883, False)
    assert cfg.client_id == "rsu-rsu-0042"
    assert cfg.policy("BSM").batch
    assert cfg.policy("MAP").batch


def test_mqtts_defaults_to_8883_and_reads_tls_files() -> None:
    cfg = read_uplink_config(
        {
            "rsu": {"id": "r1"},
            "uplink": {
                "broker": "mqtts://broker.example",
                "ca_file": "/ca.pem",
                "cert_file": "/c.pem",
                "key_file": "/k.pem",
                "tls_check_hostname": False,
                "protocol": "5",
            },
        }
    )
    assert (cfg.broker.port, cfg.broker.tls, cfg.protocol) == (8883, True, "5")
    assert cfg.tls.ca_file == "/ca.pem"
    assert not cfg.tls.check_hostname


@pytest.mark.parametrize(
    ("uplink", "where"),
    [
        ({"brokr": "mqtt://x"}, "uplink.brokr"),
        ({"broker": "http://x"}, "uplink.broker"),
        ({"dialect": "mqtt-sn"}, "uplink.dialect"),
        ({"policy": {"BSM": {"sample": 0}}}, "uplink.policy.BSM.sample"),
        (
            {"policy": {"BSM": {"filters": [{"path": "a", "bogus": 1}]}}},
            "uplink.policy.BSM.filters[0].bogus",
        ),
        ({"spool_max_mb": "big"}, "uplink.spool_max_mb"),
        ({"policy": {"BMS": {"sample": 2}}}, "uplink.policy.BMS"),  # a typo: never applied
        ({"perishable": ["SPAT", "Spat"]}, "uplink.perishable[1]"),
        ({"policy": {"BSM": {"ids": ["0a0b", "zz"]}}}, "uplink.policy.BSM.ids[1]"),
        ({"policy": {"BSM": {"ids": [f"{i:08x}" for i in range(1025)]}}}, "uplink.policy.BSM.ids"),
        ({"policy": {"BSM": {"filters": [{"path": "a"}] * 17}}}, "uplink.policy.BSM.filters"),
        (
            {"policy": {"BSM": {"filters": [{"path": "a." * 16 + "b"}]}}},
            "uplink.policy.BSM.filters[0].path",
        ),
        (
            {"policy": {"BSM": {"filters": [{"path": "a", "equals": {"deep": [1]}}]}}},
            "uplink.policy.BSM.filters[0].equals",
        ),
    ],
)
def test_bad_values_name_the_dotted_path(uplink: dict[str, object], where: str) -> None:
    with pytest.raises(ConfigError) as err:
        read_uplink_config({"rsu": {"id": "r1"}, "uplink": uplink})
    assert err.value.path == where


def test_rsu_id_must_be_topic_safe() -> None:
    with pytest.raises(ConfigError, match=r"rsu\.id"):
        read_uplink_config({"rsu": {"id": "a/b"}, "uplink": {}})


def test_policies_and_spool_bounds(tmp_path: Path) -> None:
    cfg = read_uplink_config(
        {
            "rsu": {"id": "r1"},
            "uplink": {
                "spool_max_mb": 2,
                "spool_max_age_hours": 1,
                "policy": {
                    "BSM": {
                        "sample": 10,
                        "sample_mode": "by_id",
                        "ids": ["0A0B"],
                        "rate_limit": 50,
                    },
                    "RSI": {"priority": "critical"},
                },
            },
        }
    )
    assert cfg.spool.max_bytes == 2 * 1024 * 1024
    assert cfg.spool.max_age_s == 3600
    bsm = cfg.policy("BSM")
    assert (bsm.sample, bsm.sample_mode, bsm.ids, bsm.rate_limit, bsm.batch) == (
        10,
        "by_id",
        frozenset({"0a0b"}),
        50.0,
        True,
    )
    assert cfg.policy("RSI").priority == PRIORITIES["critical"]


def test_password_from_file_and_systemd_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "pw").write_text("s3cret\n")
    cfg = read_uplink_config(
        {"rsu": {"id": "r1"}, "uplink": {"username": "u", "password_file": str(tmp_path / "pw")}}
    )
    assert cfg.read_password() == "s3cret"
    cred = read_uplink_config({"rsu": {"id": "r1"}, "uplink": {"password_credential": "mqtt"}})
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match="CREDENTIALS_DIRECTORY"):
        cred.read_password()
    (tmp_path / "mqtt").write_text("from-systemd")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert cred.read_password() == "from-systemd"


def test_write_toml_helper_round_trips(tmp_path: Path) -> None:
    path = write_toml(tmp_path / "c.toml", {"rsu": {"id": "r9"}, "uplink": {"keepalive": 10}})
    assert load_uplink_config(str(path)).keepalive == 10


def test_batching_defaults_per_dialect() -> None:
    default = read_uplink_config({"rsu": {"id": "r1"}, "uplink": {}})
    cn = read_uplink_config(
        {"rsu": {"id": "r1"}, "uplink": {"dialect": "cn-rsu", "policy": {"BSM": {"sample": 2}}}}
    )
    assert default.policy("SPAT").batch
    assert not cn.policy("SPAT").batch
    assert not cn.policy("BSM").batch
    assert cn.policy("BSM").sample == 2


def test_cbor_encoding_without_cbor2_installed_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = {"rsu": {"id": "r1"}, "uplink": {"protocol": "5", "encoding": "cbor"}}
    assert read_uplink_config(table).encoding == "cbor"  # installed here (the mqtt extra)
    import importlib.util

    real = importlib.util.find_spec
    # cbor2 cannot be uninstalled for one test: the lookup is made to miss it
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "cbor2" else real(name, *a)
    )
    with pytest.raises(ConfigError, match=r"pip install 'rsu-edge\[mqtt\]'") as err:
        read_uplink_config(table)
    assert err.value.path == "uplink.encoding"
