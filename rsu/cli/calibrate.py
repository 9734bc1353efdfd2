"""``rsu calibrate POINTS.toml``: fit the ground homography and report the error per point.

For each surveyed point: the residual on the ground (metres) and in the image (pixels), and,
with 5 or more points, the leave-one-out error (the point predicted by a fit without it; this
is what a mis-surveyed point shows up in). ``--max-error-m`` makes a poor fit exit 1.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from rsu.cli._args import number


def add_parser(sub: Any) -> None:
    p = sub.add_parser("calibrate", help="fit a camera's ground homography from surveyed points")
    p.add_argument("points", help="calibration points file (TOML, see docs/perception.md)")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument(
        "--pixel",
        action="append",
        default=[],
        metavar="U,V",
        help="also print where this pixel lies on the ground (repeatable)",
    )
    p.add_argument(
        "--max-error-m",
        type=number("a distance in metres", above=0),
        help="exit 1 when a point's error exceeds this (metres)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rsu.errors import UsageError
    from rsu.perception.calibration import Calibration

    cal = Calibration.load(args.points)
    errors = cal.errors()
    worst = max(max(e.error_m, e.leave_one_out_m or 0.0) for e in errors)
    rms = math.sqrt(sum(e.error_m**2 for e in errors) / len(errors))
    lookups = []
    for text in args.pixel:
        try:
            u, v = (float(x) for x in text.split(","))
        except ValueError:
            raise UsageError(f"--pixel: expected U,V, got {text!r}") from None
        enu = cal.pixel_to_enu(u, v)
        geo = cal.pixel_to_geodetic(u, v)
        lookups.append({"pixel": [u, v], "enu": _r(enu, 3), "latlon": _r(geo, 7)})
    report = {
        "points": [
            {
                "pixel": list(e.pixel),
                "enu": _r(e.enu, 3),
                "error_m": round(e.error_m, 3),
                "error_px": round(e.error_px, 2),
                "leave_one_out_m": None
                if e.leave_one_out_m is None
                else round(e.leave_one_out_m, 3),
            }
            for e in errors
        ],
        "rms_m": round(rms, 3),
        "origin": [cal.frame.lat0, cal.frame.lon0],
        "homography": [[float(x) for x in row] for row in cal.homography],
        "pixels": lookups,
    }
    if args.json:
        print(json.dumps(report))
    else:
        _print(report)
    return 1 if args.max_error_m is not None and worst > args.max_error_m else 0


def _r(value: Any, ndigits: int) -> list[float] | None:
    return None if value is None else [round(float(v), ndigits) for v in value]


def _print(report: dict[str, Any]) -> None:
    print(f"{'pixel':>20} {'east,north m':>20} {'err m':>8} {'err px':>8} {'loo m':>8}")
    for p in report["points"]:
        loo = "-" if p["leave_one_out_m"] is None else f"{p['leave_one_out_m']:.3f}"
        px = f"{p['pixel'][0]:.1f},{p['pixel'][1]:.1f}"
        enu = f"{p['enu'][0]:.2f},{p['enu'][1]:.2f}"
        print(f"{px:>20} {enu:>20} {p['error_m']:>8.3f} {p['error_px']:>8.2f} {loo:>8}")
    print(f"rms error {report['rms_m']:.3f} m over {len(report['points'])} points")
    for q in report["pixels"]:
        print(f"pixel {q['pixel']} -> enu {q['enu']} m, lat/lon {q['latlon']}")
