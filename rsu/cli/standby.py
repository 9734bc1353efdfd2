"""``rsu standby``: stop transmitting (reception and uplink go on)."""

from __future__ import annotations

import argparse

from rsu.cli._control import add_socket_args, client, print_json


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "standby", help="stop transmitting (reception and uplink go on)", description=__doc__
    )
    add_socket_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    reply = client(args).request("standby")
    if args.json:
        print_json(reply)
    else:
        print(f"mode: {reply['before']} -> {reply['mode']}")
    return 0
