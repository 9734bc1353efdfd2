"""The whole-file loader: every shipped config loads; broken ones name the key and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from rsu.config.loader import config_from_dict, demo_config_path, load_config, read_toml
from rsu.errors import ConfigError

ROOT = Path(__file__).parents[2]
CONFIGS = sorted((ROOT / "configs").glob("*.toml"))
DEMO = read_toml(demo_config_path())


def test_the_shipped_configs_are_there() -> None:
    assert {p.name for p in CONFIGS} >= {"rsu.toml", "demo.toml"}


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_every_shipped_config_loads(path: Path) -> None:
    cfg = load_config(path)
    assert cfg.rsu.id
    assert cfg.path == path.resolve()


def test_the_production_template_sets_every_section() -> None:
    cfg = load_config(ROOT / "configs" / "rsu.toml")
    assert cfg.sections == (
        "rsu", "daemon", "log", "radio", "gnss", "broadcast",
        "uplink", "sensors", "fusion", "perception", "events",
    )  # fmt: skip
    assert cfg.uplink.password_credential == "mqtt-password"
    assert cfg.perception is not None
    assert cfg.perception.cameras[0].name == "north"
    assert cfg.daemon.metrics_listen == ("127.0.0.1", 9753)


def test_configs_demo_is_the_embedded_demo() -> None:
    assert (ROOT / "configs" / "demo.toml").resolve() == demo_config_path().resolve()
    cfg = load_config(demo_config_path())
    assert cfg.radio.backend == "sim"
    assert cfg.gnss is not None
    assert cfg.gnss.backend == "sim"
    assert cfg.perception is None  # the demo runs without a camera
    assert [m.name for m in cfg.broadcast.messages] == ["map-main"]
    assert cfg.signals is not None  # live SPaT from the controller emulator
    assert cfg.signals.source == "sim"
    assert cfg.signals.intersections[0].map == "map-main"
    assert cfg.resolve("map.hex").is_file()  # relative to the config's own directory


def _with(section: str, **values: object) -> dict[str, object]:
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEMO.items()}
    table = dict(data.get(section, {}))  # type: ignore[call-overload]
    table.update(values)
    data[section] = table
    return data


@pytest.mark.parametrize(
    ("data", "path", "detail"),
    [
        ({**DEMO, "radoi": {}}, "radoi", "unknown key (expected one of: broadcast, daemon"),
        (_with("radio", bakend="sim"), "radio.bakend", "unknown key"),
        (_with("radio", backend="lora"), "radio.backend", "expected one of serial, rsu41, sim"),
        (_with("daemon", stats_interval_s="10"), "daemon.stats_interval_s", "expected a number"),
        (_with("daemon", inbound_queue=0), "daemon.inbound_queue", "expected a value in [16,"),
        (_with("daemon", metrics_listen="0.0.0.0:9753"), "daemon.metrics_listen", "loopback"),
        (_with("daemon", metrics_listen="localhost"), "daemon.metrics_listen", "host:port"),
        (_with("rsu", id="a/b"), "rsu.id", "usable in MQTT topics"),
        (_with("rsu", latitude=95.0), "rsu.latitude", "expected a value in [-90.0, 90.0]"),
        (_with("uplink", broker="http://x"), "uplink.broker", "expected mqtt://host"),
        (_with("log", level="loud"), "log.level", "expected one of debug, info"),
        ({k: v for k, v in DEMO.items() if k != "rsu"}, "rsu.id", "missing (required)"),
    ],
    ids=lambda v: v if isinstance(v, str) and "." in v else None,
)
def test_a_broken_config_names_the_dotted_path_and_what_was_expected(
    data: dict[str, object], path: str, detail: str
) -> None:
    with pytest.raises(ConfigError) as info:
        config_from_dict(data)
    assert info.value.path == path
    assert detail in info.value.detail


def test_unknown_keys_deep_inside_a_package_table_name_the_full_path() -> None:
    data = _with("radio", sim={"vehicle": 3})
    with pytest.raises(ConfigError, match=r"^radio\.sim\.vehicle: unknown key"):
        config_from_dict(data)
    data = dict(DEMO)
    data["sensors"] = {"radar": [{"name": "r", "backend": "sim", "yaw": 3}]}
    with pytest.raises(ConfigError, match=r"^sensors\.radar\[0\]\.yaw: unknown key"):
        config_from_dict(data)


def test_toml_syntax_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[rsu]\nid = \n")
    with pytest.raises(ConfigError, match=r"bad\.toml: TOML syntax"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.toml")


def test_the_mqtt_password_comes_from_a_systemd_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = config_from_dict(_with("uplink", password_credential="mqtt-password"))
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(ConfigError, match=r"uplink\.password_credential: CREDENTIALS_DIRECTORY"):
        cfg.uplink.read_password()
    (tmp_path / "mqtt-password").write_text("s3cret\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert cfg.uplink.read_password() == "s3cret"


def test_an_optional_table_without_its_dependencies_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from rsu.config import loader

    monkeypatch.setitem(loader.EXTRAS, "gnss", ("gnss", ("no_such_module_rsu",)))
    with pytest.raises(ConfigError) as info:
        config_from_dict(dict(DEMO))
    assert info.value.path == "gnss"
    assert "needs no_such_module_rsu (pip install 'rsu-edge[gnss]')" in info.value.detail
    without = {k: v for k, v in DEMO.items() if k != "gnss"}
    assert config_from_dict(without).gnss is None
