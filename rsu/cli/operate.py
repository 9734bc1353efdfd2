"""``rsu operate``: resume transmitting (broadcast and one-shot tx)."""

from __future__ import annotations

import argparse

from rsu.cli._control import add_mode_parser


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    add_mode_parser(subparsers, "operate", "resume transmitting (broadcast and one-shot tx)")
