"""``rsu status``: what the running daemon is doing, from its control socket."""

from __future__ import annotations

import argparse
from typing import Any

from rsu.cli._control import add_socket_args, client, colour, print_json, table


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("status", help="show the running daemon's state", description=__doc__)
    add_socket_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    reply = client(args).request("status")
    if args.json:
        print_json(reply)
        return 0
    print(render(reply))
    return 0


def _head(info: dict[str, Any], st: dict[str, Any]) -> list[str]:
    mode = st.get("mode", "?")
    up = st.get("uplink", {})
    mqtt = colour("connected", "green") if up.get("connected") else colour("not connected", "red")
    wd = st.get("watchdog", {})
    return [
        f"{colour('rsu ' + str(info.get('rsu_id')), 'bold')}  pid {info.get('pid')}  "
        f"up {st.get('uptime_s', 0):.0f} s  mode "
        + (colour(mode, "green") if mode == "operate" else colour(mode, "yellow")),
        f"config   {info.get('config')}",
        f"metrics  {info.get('metrics') or 'off'}",
        f"watchdog {wd['interval_s']} s, {wd.get('pings', 0)} pings"
        if wd.get("interval_s")
        else "watchdog off (not under systemd)",
        f"mqtt     {mqtt}; spool {up.get('pending', 0)} records "
        f"({up.get('spool_bytes', 0) / 1024:.0f} KiB); published {up.get('published', 0)}, "
        f"acked {up.get('acked', 0)}",
    ]


def _radio(st: dict[str, Any]) -> str:
    counters = st.get("radio", {}).get("counters", {})
    rows = [
        [mtype, c.get("decoded", 0), c.get("sent", 0), c.get("send_failed", 0)]
        for mtype, c in counters.get("by_type", {}).items()
    ]
    errors = st.get("decode", {}).get("errors", {})
    total = counters.get("total", {})
    head = (
        f"radio {st.get('radio', {}).get('backend')}: received {total.get('received', 0)}, "
        f"decoded {st.get('decode', {}).get('ok', 0)}, errors {sum(errors.values())}"
        + (f" {errors}" if errors else "")
    )
    return head + "\n" + table(rows, ["type", "rx decoded", "tx sent", "tx failed"])


def _queues(st: dict[str, Any]) -> str:
    rows = [
        [k, q.get("depth"), q.get("capacity"), q.get("dropped"), q.get("policy", "")]
        for k, q in st.get("queues", {}).items()
    ]
    return table(rows, ["queue", "depth", "bound", "dropped", "when full"])


def _cloud(st: dict[str, Any]) -> str:
    rows = [[k, s["count"], s["last"]] for k, s in st.get("cloud", {}).get("streams", {}).items()]
    return table(rows, ["to the cloud", "records", "last"])


def _broadcast(entries: list[dict[str, Any]]) -> str:
    rows = [
        [e["key"], e["type"], e["psid"], e["interval_ms"], e["sent"], e["state"], e["source"]]
        for e in entries
    ]
    return table(rows, ["broadcast", "type", "psid", "every ms", "sent", "state", "source"])


def _inputs(st: dict[str, Any]) -> list[str]:
    out = []
    gnss = st.get("gnss")
    if gnss:
        fix = gnss.get("fix")
        out.append(
            f"gnss     {gnss.get('health', {}).get('backend')}: "
            + (
                f"fix q{fix['quality']} {fix['lat']:.6f},{fix['lon']:.6f} sats {fix['satellites']}"
                if fix
                else colour("no fix yet", "yellow")
            )
        )
    for name, r in st.get("radar", {}).items():
        out.append(f"radar    {name.removeprefix('radar-')}: {r.get('scans', 0)} scans")
    for name, c in st.get("cameras", {}).items():
        out.append(f"camera {name}: {c.get('fps')} fps, {c.get('inference_ms')} ms/inference")
    fusion = st.get("fusion") or {}
    if fusion:
        out.append(f"fusion   {fusion.get('objects')} objects, {fusion.get('events')} events")
    return out


def _security(st: dict[str, Any]) -> list[str]:
    sec = st.get("security")
    if not sec:
        return []
    out = []
    cert = sec.get("certificate")
    if cert:
        state = cert["state"]
        shown = colour(state, "green" if state == "valid" else "red")
        out.append(
            f"cert     {cert['id8']} {shown}, {cert['hours_left']} h left "
            f"(until {cert['valid_until']}); signed {sec.get('signed', {}).get('total', 0)}"
        )
    totals: dict[str, int] = {}
    for row in sec.get("received", {}).get("by_psid", {}).values():
        for result, n in row.items():
            totals[result] = totals.get(result, 0) + n
    seen = ", ".join(f"{k} {v}" for k, v in totals.items() if v) or "nothing yet"
    trust = sec.get("trust", {})
    out.append(
        f"1609.2   verify {sec.get('verify')}: {seen}; cache hit rate "
        f"{trust.get('cache_hit_rate')}, dropped {sec.get('dropped', 0)}"
    )
    return out


def render(reply: dict[str, Any]) -> str:
    info, st = reply.get("info", {}), reply.get("status", {})
    parts = [
        "\n".join(_head(info, st) + _inputs(st) + _security(st)),
        _radio(st),
        _broadcast(reply.get("broadcast_entries", [])),
        _cloud(st),
        _queues(st),
    ]
    reload = reply.get("last_reload")
    if reload and reload.get("needs_restart"):
        parts.append(colour(f"restart needed for: {', '.join(reload['needs_restart'])}", "yellow"))
    return "\n\n".join(parts)
