"""One TOML file -> ``Config``. Every table is read by the dataclass of the package owning it.

Unknown top-level tables and unknown keys anywhere are errors that name the dotted path.
Secrets are never in the file: ``uplink.password_file`` / ``uplink.password_credential``
(systemd ``LoadCredential=``) name where they are.

Relative paths (broadcast message files, models, calibrations) are relative to the directory
of the config file; the embedded demo config (``demo_config_path()``) sits next to its files.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from rsu.config.fields import Table, read_toml
from rsu.config.model import Config, DaemonConfig, LogConfig, RsuSection
from rsu.errors import ConfigError

__all__ = [
    "EXTRAS",
    "config_from_dict",
    "demo_config_path",
    "load_config",
    "missing_modules",
    "read_toml",  # lives in rsu.config.fields (the uplink reads it there: no import circle)
    "sections",
]

# Top-level tables, in the order the production template documents them (the message sets'
# own tables, ``MessageSet.config_section``, come after ``events``: see ``sections()``).
_OWN_SECTIONS = (
    "rsu",
    "daemon",
    "log",
    "radio",
    "gnss",
    "broadcast",
    "uplink",
    "sensors",
    "fusion",
    "perception",
    "events",
    "snmp",
    "security",
    "signals",
    "power",
    "energy",
)


def set_sections() -> tuple[str, ...]:
    """The top-level tables of the registered message sets (``csae53``)."""
    from rsu.registry import message_sets

    return tuple(ms.config_section for ms in message_sets() if ms.config_section)


def sections() -> tuple[str, ...]:
    """Every top-level table a config may have, in the template's order."""
    at = _OWN_SECTIONS.index("events") + 1
    return (*_OWN_SECTIONS[:at], *set_sections(), *_OWN_SECTIONS[at:])


def demo_config_path() -> Path:
    """The demo config shipped inside the package (also ``configs/demo.toml``)."""
    return Path(str(resources.files("rsu.config").joinpath("demo/demo.toml")))


def load_config(path: str | Path) -> Config:
    """Read and check a whole config file (no device is opened, no file besides it read)."""
    real = Path(path).resolve()
    return config_from_dict(read_toml(real), real)


EXTRAS = {
    "gnss": ("gnss", ("pynmeagps",)),
    "sensors": ("can,vision", ("cantools", "numpy", "pymap3d")),
    "fusion": ("vision", ("numpy", "scipy", "pymap3d")),
    "events": ("vision", ("numpy", "pymap3d")),
    "perception": ("vision", ("numpy", "cv2", "onnxruntime", "pymap3d")),
    "snmp": ("snmp", ("pysnmp", "cryptography")),
}
"""Optional tables -> (pip extra, modules they need)."""


def missing_modules(section: str) -> list[str]:
    """The modules an optional table needs that are not installed."""
    from importlib.util import find_spec

    _, modules = EXTRAS.get(section, ("", ()))
    return [m for m in modules if find_spec(m) is None]


def _check_installed(data: dict[str, Any]) -> None:
    for section in EXTRAS:
        if section in data and (missing := missing_modules(section)):
            extra = EXTRAS[section][0]
            raise ConfigError(
                section,
                f"needs {', '.join(missing)} (pip install 'rsu-edge[{extra}]'), "
                "or remove the table",
            )


def config_from_dict(data: dict[str, Any], path: Path | None = None) -> Config:
    _check_installed(data)
    root = Table(data, "")
    rsu = RsuSection.from_table(root.table("rsu"))
    cfg = Config(
        path=path,
        rsu=rsu,
        daemon=DaemonConfig.from_table(root.table("daemon")),
        log=LogConfig.from_table(root.table("log")),
        radio=_radio(root.table("radio"), rsu.standard),
        uplink=_uplink(root.table("uplink"), rsu.id),
        broadcast=_broadcast(root.table("broadcast")),
        gnss=_gnss(root.table("gnss")) if root.has("gnss") else None,
        radars=_radars(root.table("sensors")) if root.has("sensors") else (),
        fusion=_fusion(root.table("fusion")) if root.has("fusion") else None,
        perception=_perception(root.table("perception")) if root.has("perception") else None,
        events=_events(root.table("events"), rsu.local_frame()) if root.has("events") else None,
        set_sections=_set_sections(root),
        snmp=_snmp(root.table("snmp")) if root.has("snmp") else None,
        security=_security(root.table("security")) if root.has("security") else None,
        signals=_signals(root.table("signals"), data) if root.has("signals") else None,
        power=_power(root.table("power")) if root.has("power") else None,
        energy=_energy(root.table("energy")) if root.has("energy") else None,
        sections=tuple(k for k in sections() if k in data),
    )
    root.done()
    return cfg


def _radio(t: Table, standard: str) -> Any:
    import dataclasses

    from rsu.radio.config import RadioConfig

    return dataclasses.replace(RadioConfig.from_table(t), standard=standard)


def _uplink(t: Table, rsu_id: str) -> Any:
    from rsu.uplink.config import UplinkConfig

    return UplinkConfig.from_table(t, rsu_id)


def _broadcast(t: Table) -> Any:
    from rsu.broadcast.config import BroadcastConfig

    return BroadcastConfig.from_table(t)


def _gnss(t: Table) -> Any:
    from rsu.gnss.config import GnssConfig

    return GnssConfig.from_table(t)


def _radars(t: Table) -> tuple[Any, ...]:
    from rsu.sensors.config import radars_from_table

    out = tuple(radars_from_table(t))
    t.done()
    return out


def _fusion(t: Table) -> Any:
    from rsu.fusion.model import FusionConfig

    return FusionConfig.from_table(t)


def _perception(t: Table) -> Any:
    from rsu.perception.config import PerceptionConfig

    return PerceptionConfig.from_table(t)


def _events(t: Table, frame: Any) -> Any:
    from rsu.events.zones import EventsConfig

    return EventsConfig.from_table(t, frame)


def _set_sections(root: Table) -> dict[str, Any]:
    """Each message set's own table (``[csae53]``), read by the set (``read_config``)."""
    from rsu.registry import message_sets

    out: dict[str, Any] = {}
    for ms in message_sets():
        name = ms.config_section
        if name is not None and root.has(name):
            out[name] = ms.read_config(root.table(name))
    return out


def _snmp(t: Table) -> Any:
    from rsu.management.config import SnmpConfig

    return SnmpConfig.from_table(t)


def _security(t: Table) -> Any:
    from rsu.security.config import SecurityConfig

    return SecurityConfig.from_table(t)


def _power(t: Table) -> Any:
    from rsu.power.config import PowerConfig

    return PowerConfig.from_table(t)


def _signals(t: Table, data: dict[str, Any]) -> Any:
    from rsu.signals.config import signals_from_table

    return signals_from_table(t, data.get("broadcast"))


def _energy(t: Table) -> Any:
    from rsu.energy.config import EnergyConfig

    return EnergyConfig.from_table(t)
