"""``rsu status``: what the running daemon is doing, from its control socket."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from rsu.cli._control import add_socket_args, client, colour, print_json, table
from rsu.clock import utc_iso

if TYPE_CHECKING:  # importing rsu.daemon builds the whole daemon: every rsu command paid 0.4 s
    from rsu.daemon.snapshot import Snapshot


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


def _head(info: dict[str, Any], st: Snapshot) -> list[str]:
    mode = st.mode
    up = st.uplink
    mqtt = colour("connected", "green") if up.connected else colour("not connected", "red")
    wd = st.watchdog
    return [
        f"{colour('rsu ' + str(info.get('rsu_id')), 'bold')}  pid {info.get('pid')}  "
        f"up {st.uptime_s:.0f} s  mode "
        + (colour(mode, "green") if mode == "operate" else colour(mode, "yellow")),
        f"config   {info.get('config')}",
        f"metrics  {info.get('metrics') or 'off'}",
        f"watchdog {wd.interval_s} s, {wd.pings} pings"
        if wd.interval_s
        else "watchdog off (not under systemd)",
        f"mqtt     {mqtt}; spool {up.pending} records "
        f"({up.spool_bytes / 1024:.0f} KiB); published {up.published}, "
        f"acked {up.acked}",
    ]


def _radio(st: Snapshot) -> str:
    counters = st.radio.counters
    rows = [[t, c.decoded, c.sent, c.send_failed] for t, c in counters.by_type.items()]
    errors = dict(st.decode.errors)
    head = (
        f"radio {st.radio.backend}: received {counters.total.received}, "
        f"decoded {st.decode.ok}, errors {sum(errors.values())}" + (f" {errors}" if errors else "")
    )
    return head + "\n" + table(rows, ["type", "rx decoded", "tx sent", "tx failed"])


def _queues(st: Snapshot) -> str:
    rows = [[k, q.depth, q.capacity, q.dropped, q.policy or ""] for k, q in st.queues.items()]
    return table(rows, ["queue", "depth", "bound", "dropped", "when full"])


def _cloud(st: Snapshot) -> str:
    rows = [[k, s.count, s.last] for k, s in st.cloud.streams.items()]
    return table(rows, ["to the cloud", "records", "last"])


def _broadcast(entries: list[dict[str, Any]]) -> str:
    rows = [
        [e["key"], e["type"], e["psid"], e["interval_ms"], e["sent"], e["state"], e["source"]]
        for e in entries
    ]
    return table(rows, ["broadcast", "type", "psid", "every ms", "sent", "state", "source"])


def _alarms(st: Snapshot) -> str:
    rows = [[a.source, a.kind, a.severity, utc_iso(a.since), a.detail] for a in st.alarms]
    head = colour(f"{len(rows)} active alarm(s)", "red")
    return head + "\n" + table(rows, ["alarm from", "kind", "severity", "since", "detail"])


def _inputs(st: Snapshot) -> list[str]:
    out = []
    gnss = st.gnss
    if gnss is not None:
        fix = gnss.fix
        out.append(
            f"gnss     {gnss.health.get('backend')}: "
            + (
                f"fix q{fix.quality} {fix.lat:.6f},{fix.lon:.6f} sats {fix.satellites}"
                if fix
                else colour("no fix yet", "yellow")
            )
        )
    for name, r in st.radar.items():
        out.append(f"radar    {name.removeprefix('radar-')}: {r.get('scans', 0)} scans")
    for name, c in st.cameras.items():
        out.append(f"camera {name}: {c.get('fps')} fps, {c.get('inference_ms')} ms/inference")
    if st.fusion is not None:
        out.append(f"fusion   {st.fusion.objects} objects, {st.fusion.events} events")
    for name, section in st.sections.items():
        if name == "security":
            out += _security(section)
            continue
        if name == "energy":
            out += _energy(section)
            continue
        values = ", ".join(f"{k} {v}" for k, v in section.items() if not isinstance(v, dict))
        out.append(f"{name:<8} {values}")
    return out


def _energy(section: Any) -> list[str]:
    """One line per charging site: its counts (or unknown, and why), their age, the source."""
    out = []
    for site in section.get("detail", {}).get("sites", []):
        age = site.get("age_s")
        when = "never read" if age is None else f"{age:.1f} s ago"
        text = site.get("text", "")
        if site.get("state") != "ok":
            text = colour(f"{text} ({site.get('reason')})", "yellow")
        elif site.get("full"):
            text = colour(f"{text} (full)", "yellow")
        out.append(
            f"site     {site.get('site')} {site.get('name')!r}: {text}; "
            f"{site.get('source')}, {when}"
        )
    return out


def _security(sec: Any) -> list[str]:
    """The IEEE 1609.2 lines: the RSU certificate (NTCIP 1218 state, hours left), results."""
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
        f"1609.2   verify {sec.get('verify')}: {seen}; certificate cache hit rate "
        f"{trust.get('cache_hit_rate')}, dropped {sec.get('dropped', 0)}"
    )
    return out


def render(reply: dict[str, Any]) -> str:
    from rsu.daemon.snapshot import Snapshot

    info, st = reply.get("info", {}), Snapshot.from_dict(reply.get("status", {}))
    parts = ["\n".join(_head(info, st) + _inputs(st))]
    if st.alarms:
        parts.append(_alarms(st))
    parts += [_radio(st), _broadcast(reply.get("broadcast_entries", [])), _cloud(st), _queues(st)]
    reload = reply.get("last_reload")
    if reload and reload.get("needs_restart"):
        parts.append(colour(f"restart needed for: {', '.join(reload['needs_restart'])}", "yellow"))
    return "\n\n".join(parts)
