"""``rsu decode``: frames in, one JSON line out per frame, in input order.

Input: hex frames as arguments, a file (or stdin) of hex lines (blank lines and ``#`` comments
skipped), or a pcap/pcapng capture (recognised by its magic; see ``rsu.cli.capture``). Each
line is the JER of the decoded MessageFrame (``--format jer``), the units view (``--format
units``) or a one-line summary (``--format summary``), or ``{"error": {...}}`` naming the
message, field path and bit offset; lines from a capture also say where in it the frame was
(``"capture": {"packet", "time", "src", ...}``). ``--jobs N`` decodes in N worker processes
(default: the cores this process may use), output still in input order. Exit 0 when every
line decoded, 1 when any failed, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from rsu.cli._args import whole
from rsu.cli.decode_lines import MAX_JOBS, DecodeOptions, Input, Item, default_jobs, run_lines
from rsu.cli.inputs import input_lines
from rsu.errors import UsageError
from rsu.registry import DEFAULT_MESSAGE_SET, message_set_names
from rsu.v2x.message import V2xMessage


def add_parser(sub: Any) -> None:
    p = sub.add_parser("decode", help="decode V2X frames (hex, pcap/pcapng) to JER JSON lines")
    p.add_argument("hex", nargs="*", help="frames as hex (bare or wrapped)")
    p.add_argument("--file", "-f", help="hex lines or a pcap/pcapng capture; - for stdin (either)")
    p.add_argument("--format", choices=("jer", "units", "summary"), default="jer")
    p.add_argument(
        "--unwrap",
        choices=("auto", "none"),
        default="auto",
        help="auto: strip WSMP / IEEE 1609.2 / trailing bytes; none: bare frames only",
    )
    p.add_argument(
        "--standard",
        default=DEFAULT_MESSAGE_SET,
        choices=sorted(message_set_names()),
        help=f"message set (default {DEFAULT_MESSAGE_SET})",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=whole(at_least=1, most=MAX_JOBS),
        default=None,
        help="worker processes (default: the cores)",
    )
    p.add_argument(
        "--udp-port",
        type=whole(at_least=1, most=65535),
        action="append",
        default=[],
        help="captures: take every UDP datagram to or from this port as a frame (repeatable);"
        " without it only datagrams that look like V2X are taken",
    )
    p.add_argument("--verify", action="store_true", help="add the IEEE 1609.2 result to each line")
    p.add_argument("--trust", help="trust directory for --verify (anchors, CA certificates, CRLs)")
    p.add_argument("--at", help="verify as of this ISO 8601 UTC time (default: now)")
    p.add_argument(
        "--dump-fastpath",
        metavar="DIR",
        help="write the generated fast-path decoder of --standard to DIR for review",
    )
    p.set_defaults(func=run)


def renderer(fmt: str) -> Callable[[V2xMessage], dict[str, Any]]:
    """The function giving the JSON object printed for one decoded message."""
    if fmt == "jer":
        return V2xMessage.jer
    if fmt == "units":
        from rsu.v2x.units import to_units

        return lambda message: to_units(message.jer())
    return summary


def render(message: V2xMessage, fmt: str) -> dict[str, Any]:
    """The JSON object printed for one decoded message."""
    return renderer(fmt)(message)


def summary(message: V2xMessage) -> dict[str, Any]:
    """A short description: type, id, sizes, envelope and the sender's position if any."""
    out: dict[str, Any] = {
        "standard": message.standard,
        "message_type": message.message_type,
        "short": message.short_name,
        "message_id": message.message_id,
        "bytes": len(message.raw),
        "envelope": message.envelope.as_dict(),
    }
    value = message.value if isinstance(message.value, dict) else {}
    core = value.get("coreData") or value
    pos = core.get("pos")  # CSAE 53 BSM: the position is a Position3D
    core = {**pos, **core} if isinstance(pos, dict) else core
    for key in ("id", "msgCnt", "secMark", "lat", "long"):
        if key in core and not isinstance(core[key], dict | list):
            out[key] = core[key]
    return out


def run(args: argparse.Namespace) -> int:
    if args.dump_fastpath:
        _dump(args.standard, Path(args.dump_fastpath))
        if not args.hex and args.file is None:
            return 0
    if not args.hex and args.file is None:
        raise UsageError("give frames as arguments or --file PATH (- for stdin)")
    options = DecodeOptions(args.standard, args.unwrap == "auto", args.format, *_verify(args))
    jobs = args.jobs if args.jobs is not None else default_jobs()
    stream = args.jobs is None and args.file == "-" and not _regular_stdin()
    skipped: dict[str, int] = {}
    items = _items(args.hex, args.file, frozenset(args.udp_port), skipped)
    out = _binary_stdout()
    failed = run_lines(options, items, out, jobs, stream)  # reader gone (``| head``): main
    out.flush()  # ends quietly with 141, as for every command
    if skipped:
        detail = ", ".join(f"{n} {why}" for why, n in sorted(skipped.items()))
        print(f"rsu decode: packets without a V2X frame skipped: {detail}", file=sys.stderr)
    return 1 if failed else 0


def _regular_stdin() -> bool:
    """stdin is a file (``< frames.txt``), not a pipe or terminal that delivers as it goes."""
    import os
    import stat

    try:
        return stat.S_ISREG(os.fstat(sys.stdin.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return False


def _verify(args: argparse.Namespace) -> tuple[str | None, float | None]:
    """``--verify --trust DIR [--at T]``: the trust directory and time, checked here (once)."""
    if not args.verify:
        if args.trust or args.at:
            raise UsageError("--trust and --at go with --verify")
        return None, None
    if args.trust is None:
        raise UsageError("--verify needs --trust DIR (a trust directory: rsu pki init makes one)")
    from rsu.cli.sign import parse_time
    from rsu.security.setup import verifier_from_dir

    at = parse_time(args.at)
    verifier_from_dir(args.trust, at)  # a bad trust directory fails before any line
    return args.trust, at


def _items(
    values: list[str], file: str | None, udp_ports: frozenset[int], skipped: dict[str, int]
) -> Iterator[Input]:
    yield from values  # an explicit empty argument is an error line, not skipped
    if file is None:
        return
    handle = _open_capture(file)
    if handle is None:
        for line in input_lines([], file):
            text = line.strip()
            if text and not text.startswith("#"):
                yield line
        return
    from rsu.cli.capture import CaptureStats, read_capture

    try:
        import dpkt  # noqa: F401 (the capture reader's library, an optional extra)
    except ImportError:
        handle.close()
        raise UsageError(
            f"{file} is a capture; reading captures needs dpkt: pip install 'rsu-edge[capture]'"
        ) from None
    stats = CaptureStats()
    with handle:
        for found in read_capture(handle, file, stats, udp_ports):
            yield Item(found.payload, found.origin, found.error)
    skipped.update(stats.skipped)


def _open_capture(file: str) -> IO[bytes] | None:
    """The input opened for reading when it is a pcap/pcapng capture, else ``None``.

    ``-`` is stdin, which may be a live capture (``tcpdump -U -w - ... | rsu decode -f -``).
    """
    from rsu.cli.capture import looks_like_capture

    if file == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        return stdin if stdin is not None and looks_like_capture(stdin) else None
    try:
        handle = Path(file).open("rb")  # noqa: SIM115 (closed by the caller)
    except OSError as err:
        raise UsageError(f"cannot read {file}: {err.strerror or err}") from err
    if looks_like_capture(handle):
        return handle
    handle.close()
    return None


def _binary_stdout() -> IO[bytes]:
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    return buffer if buffer is not None else _TextOut(sys.stdout)  # type: ignore[return-value]


class _TextOut:
    """Bytes written to a text stream (when stdout has no binary buffer, as under capture)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, data: bytes) -> int:
        return self.stream.write(data.decode("utf-8"))

    def flush(self) -> None:
        self.stream.flush()


def _dump(standard: str, directory: Path) -> None:
    from rsu.v2x.codec import get_codec
    from rsu.v2x.fastpath_build import dump

    codec = get_codec(standard)
    if codec.fast_path is None:
        raise UsageError(f"{standard}: the fast path is switched off")
    try:
        target = dump(codec.fast_path, directory, standard)
    except OSError as err:
        raise UsageError(f"cannot write to {directory}: {err.strerror or err}") from err
    print(f"rsu decode: wrote {target}", file=sys.stderr)
