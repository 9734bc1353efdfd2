"""``rsu snmp walk``: walk the running daemon's NTCIP 1218 agent as a manager would.

A self-check: SNMPv3 with one of the ``[[snmp.users]]`` of the config (its pass phrase files,
its SHA and AES), GETNEXT over the whole RSU subtree (or the OID given), printed with the
object names of NTCIP 1218. A wrong key, a dead agent or a refused user is an error here
exactly as it would be for the operator's manager.

    rsu snmp walk --config /etc/rsu/rsu.toml              # the RSU tree, first user
    rsu snmp walk --config rsu.toml --user rsu-viewer 1.3.6.1.4.1.1206.4.2.18.3
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from rsu.errors import ConfigError, DaemonError, UsageError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("snmp", help="the NTCIP 1218 agent: walk it as a manager would")
    sub = p.add_subparsers(dest="snmp_command", metavar="ACTION", required=True)
    walk = sub.add_parser("walk", help="walk the agent (SNMPv3, a configured user)")
    walk.add_argument("oid", nargs="?", default="1.3.6.1.4.1.1206.4.2.18", help="subtree")
    walk.add_argument("--config", "-c", required=True, help="the daemon's config file")
    walk.add_argument("--user", help="one of [[snmp.users]] (default: the first)")
    walk.add_argument("--target", help="host:port (default: [snmp] listen, on loopback)")
    walk.add_argument("--timeout", type=float, default=3.0, help="seconds per request")
    walk.add_argument("--json", action="store_true", help="machine-readable JSON output")
    walk.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rsu.cli._control import print_json
    from rsu.config.fields import parse_hostport
    from rsu.config.loader import load_config
    from rsu.management.smi import parse_oid

    config = load_config(args.config)
    if config.snmp is None:
        raise ConfigError("snmp", f"{args.config} has no [snmp] table: the agent is off")
    users = {u.name: u for u in config.snmp.users}
    if not users:
        raise ConfigError("snmp.users", "no SNMPv3 user to walk with")
    user = users.get(args.user) if args.user else next(iter(users.values()))
    if user is None:
        raise UsageError(f"--user: not one of {', '.join(users)}")
    if not 0.1 <= args.timeout <= 60.0:
        raise UsageError("--timeout: 0.1 to 60 seconds")
    try:
        root = parse_oid(args.oid)
    except ValueError as err:
        raise UsageError(f"oid: {err}") from err
    host, port = config.snmp.listen
    if args.target:
        host, port = parse_hostport(args.target, "--target")
    host = "127.0.0.1" if host == "0.0.0.0" else "::1" if host == "::" else host
    rows = asyncio.run(_walk(user, (host, port), root, args.timeout))
    if args.json:
        print_json([{"oid": oid, "name": name, "value": value} for oid, name, value in rows])
    else:
        for oid, name, value in rows:
            print(f"{name or oid} = {value}")
    return 0


async def _walk(user: Any, target: tuple[str, int], root: tuple[int, ...], timeout: float) -> Any:
    from pysnmp.hlapi.v3arch.asyncio import (
        ContextData,
        ObjectIdentity,
        ObjectType,
        SnmpEngine,
        UdpTransportTarget,
        UsmUserData,
        walk_cmd,
    )

    from rsu.management.agent import AUTH, PRIV

    auth = UsmUserData(
        user.name, user.auth_key(), user.priv_key(), authProtocol=AUTH[user.auth],
        privProtocol=PRIV[user.priv],
    )  # fmt: skip
    engine = SnmpEngine()
    transport = await UdpTransportTarget.create(target, timeout=timeout, retries=1)
    rows = []
    walker = walk_cmd(
        engine, auth, transport, ContextData(), ObjectType(ObjectIdentity(root)),
        lexicographicMode=False,
    )  # fmt: skip
    async for error, status, index, varbinds in walker:
        if error:
            raise DaemonError(f"snmp walk {target[0]}:{target[1]}: {error}")
        if status:
            raise DaemonError(f"snmp walk: the agent answered {status.prettyPrint()} at {index}")
        for name, value in varbinds:
            oid = str(name)
            rows.append((oid, _name(tuple(name)), value.prettyPrint()))
    engine.close_dispatcher()
    return rows


def _name(oid: tuple[int, ...]) -> str:
    from rsu.management import oids
    from rsu.management.tables import TABLES

    for table in TABLES:
        n = len(table.entry)
        if oid[:n] == table.entry and len(oid) == n + 2:
            col = table.column(oid[n])
            return f"{table.name}.{col.name if col else oid[n]}.{oid[n + 1]}"
    base = oids.NAMES.get(oid[:-1])
    return f"{base}.0" if base and oid[-1] == 0 else ""
