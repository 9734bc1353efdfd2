"""``rsu config check PATH``: load a config file the way the daemon does, and say what is in it.

Checks every key and value (unknown keys and bad values name the dotted path), then reads the
files it names (broadcast messages, encoded with the codec; calibrations; secrets) without
opening any device. ``rsu config demo`` prints the embedded demo config.
"""

from __future__ import annotations

import argparse
from typing import Any

from rsu.cli._control import colour, print_json, table


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("config", help="check a config file", description=__doc__)
    sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="check a config file (exit 1 on any error)")
    check.add_argument("path", help="the config file (TOML)")
    check.add_argument("--json", action="store_true", help="machine-readable JSON output")
    check.add_argument(
        "--no-files", action="store_true", help="check keys and values only (not the files named)"
    )
    check.set_defaults(func=run)
    demo = sub.add_parser("demo", help="print the embedded demo config")
    demo.set_defaults(func=print_demo)


def print_demo(args: argparse.Namespace) -> int:
    from rsu.config.loader import demo_config_path

    print(demo_config_path().read_text(encoding="utf-8"), end="")
    return 0


def _files(config: Any) -> list[list[str]]:
    """Read what the config points at; a ConfigError names the key."""
    from rsu.broadcast import load_message
    from rsu.broadcast.standards import FrameEncoder

    encoder = FrameEncoder()  # as the daemon: each frame with the codec of its own standard
    rows = []
    for m in config.broadcast.messages:
        msg = load_message(m, config.base_dir, encoder)
        rows.append([f"{m.where}.file", str(config.resolve(m.file)), msg.message_type or "?"])
    up = config.uplink
    if up.password_file or up.password_credential:
        up.read_password()
        rows.append(["uplink.password", up.password_file or up.password_credential, "readable"])
    if config.snmp is not None:  # the SNMP pass phrase and community files, as at start
        from rsu.management.config import secret_files

        rows += secret_files(config.snmp)
    if config.signals is not None:
        from rsu.signals.stage import check_mapping

        rows += check_mapping(config)
    if config.energy is not None:  # charging sites: TIM/RSI encode, OCPI token files read
        from rsu.energy.stage import check_sites

        rows += check_sites(config)
    if config.perception is not None:
        from rsu.perception.calibration import Calibration

        for i, cam in enumerate(config.perception.cameras):
            if cam.calibration:
                Calibration.load(config.resolve(cam.calibration))
                rows.append([f"perception.cameras[{i}].calibration", cam.calibration, "fits"])
    return rows


def run(args: argparse.Namespace) -> int:
    from rsu.config.loader import load_config
    from rsu.errors import ConfigError

    try:
        config = load_config(args.path)
        rows = [] if args.no_files else _files(config)
    except ConfigError as err:
        if not args.json:
            raise
        print_json({"ok": False, "error": str(err), "key": err.path, "detail": err.detail})
        return 1
    summary = {
        "path": str(config.path),
        "rsu_id": config.rsu.id,
        "sections": list(config.sections),
        "radio": config.radio.backend,
        "gnss": config.gnss.backend if config.gnss else None,
        "broker": f"{config.uplink.broker.host}:{config.uplink.broker.port}",
        "broadcast": [m.name for m in config.broadcast.messages],
        "radars": [r.name for r in config.radars],
        "cameras": [c.name for c in config.perception.cameras] if config.perception else [],
        "files": [{"key": r[0], "path": r[1], "result": r[2]} for r in rows],
    }
    if args.json:
        print_json({"ok": True, **summary})
        return 0
    print(f"{colour('ok', 'green')}: {config.path}")
    keys = ("rsu_id", "sections", "radio", "gnss", "broker", "broadcast", "radars", "cameras")
    print(table([[k, summary[k]] for k in keys], ["item", "value"]))
    if rows:
        print()
        print(table(rows, ["key", "file", "result"]))
    return 0
