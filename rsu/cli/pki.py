"""``rsu pki``: a test PKI of IEEE 1609.2 certificates, and a look inside certificate files.

``rsu pki init DIR`` writes a self-contained PKI, all explicit certificates in COER::

    DIR/root.oer          self-signed root CA (10 years)
    DIR/ca.oer            authorization CA issued by the root (5 years)
    DIR/rsu.oer           the RSU's application certificate issued by the CA
    DIR/rsu.key.pem       its private key (PKCS#8, mode 0600)
    DIR/trust/root.oer    the trust anchor
    DIR/trust/ca.oer      the CA, beside it (an intermediate receivers need for chains)

``rsu pki show FILE`` prints a certificate: id, issuer, validity, permissions, region,
HashedId8.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

from rsu.errors import UsageError


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser("pki", help="IEEE 1609.2 test PKI and certificates")
    sub = p.add_subparsers(dest="pki_command", metavar="ACTION", required=True)
    init = sub.add_parser("init", help="create a test PKI in DIR", description=__doc__)
    init.add_argument("dir", help="directory to create (or an empty one)")
    init.add_argument(
        "--psid",
        action="append",
        default=[],
        help="an extra PSID for rsu.oer, p-encoded hex as in [[broadcast.messages]] "
        "(e.g. 0x8010); repeatable. SPaT, MAP, TIM/RSM/RSI and SDSM are always in",
    )
    init.add_argument("--days", type=int, default=365, help="rsu.oer validity (default 365)")
    init.add_argument("--force", action="store_true", help="overwrite an existing PKI")
    init.set_defaults(func=run_init)
    show = sub.add_parser("show", help="print a certificate (COER)")
    show.add_argument("file", help="a .oer certificate file")
    show.add_argument("--json", action="store_true", help="machine-readable JSON")
    show.set_defaults(func=run_show)


FILES = ("root.oer", "ca.oer", "rsu.oer", "rsu.key.pem", "trust/root.oer", "trust/ca.oer")


def _psids(extra: list[str]) -> tuple[int, ...]:
    from rsu.security.pki import RSU_PSIDS
    from rsu.v2x.psid import to_integer

    out = list(RSU_PSIDS)
    for text in extra:
        try:
            value = to_integer(int(text, 0))
        except ValueError as err:
            raise UsageError(f"--psid {text!r}: {err}") from None
        if value not in out:
            out.append(value)
    return tuple(out)


def run_init(args: argparse.Namespace) -> int:
    import time

    from rsu.security.keys import write_pem_key
    from rsu.security.pki import make_test_pki
    from rsu.security.times import utc_to_time32

    if not 1 <= args.days <= 3650:
        raise UsageError("--days must be 1..3650")
    psids = _psids(args.psid)
    root = Path(args.dir)
    existing = [f for f in FILES if (root / f).exists()]
    if existing and not args.force:
        raise UsageError(f"{root} already holds {', '.join(existing)} (use --force to replace)")
    (root / "trust").mkdir(parents=True, exist_ok=True, mode=0o755)
    pki = make_test_pki(utc_to_time32(time.time()), psids=psids, rsu_hours=24 * args.days)
    for name, cert in (("root.oer", pki.root.cert), ("ca.oer", pki.ca.cert)):
        for path in (root / name, root / "trust" / name):
            path.write_bytes(cert.encoded)
    (root / "rsu.oer").write_bytes(pki.rsu.cert.encoded)
    if pki.rsu.key is None:  # make_test_pki always makes the key; a guard for the type
        raise UsageError("no RSU key was made")
    key_path = root / "rsu.key.pem"
    if key_path.exists():
        os.unlink(key_path)
    write_pem_key(pki.rsu.key, key_path)
    print(f"test PKI in {root}:")
    for name, cert in (("root", pki.root.cert), ("ca", pki.ca.cert), ("rsu", pki.rsu.cert)):
        print(f"  {name + '.oer':9} HashedId8 {cert.id8.hex()}")
    print("  rsu.key.pem (mode 0600); trust/ holds root.oer (anchor) and ca.oer\n")
    print("[security]")
    print(f'trust_dir = "{root.resolve() / "trust"}"')
    print(f'certificate = "{root.resolve() / "rsu.oer"}"')
    print(f'key = "{key_path.resolve()}"')
    print('sign = ["MAP", "SPAT"]')
    return 0


def describe(cert: Any) -> dict[str, Any]:
    from rsu.security.times import time32_to_utc, utc_iso
    from rsu.v2x.psid import pencoded_hex

    start = time32_to_utc(cert.start)
    out: dict[str, Any] = {
        "hashed_id8": cert.id8.hex(),
        "type": cert.type,
        "id": {"kind": cert.id_kind, "value": cert.id_value},
        "issuer": "self" if cert.is_self_signed else cert.issuer_id8.hex(),
        "issuer_kind": cert.issuer,
        "valid_from": utc_iso(start),
        "valid_until": utc_iso(start + cert.duration_s),
        "duration_hours": round(cert.duration_s / 3600, 3),
        "key": cert.key_curve or "implicit (reconstructed from the issuer)",
        "craca_id": cert.craca_id.hex(),
        "crl_series": cert.crl_series,
        "app_permissions": [
            {"psid": p.psid, "psid_pencoded": pencoded_hex(p.psid)}
            | ({"ssp": p.ssp.hex(), "ssp_kind": p.ssp_kind} if p.ssp is not None else {})
            for p in cert.app_permissions
        ],
        "issue_permissions": [
            "all" if g.psids is None else [pencoded_hex(p) for p in g.psids]
            for g in cert.issue_permissions
        ],
    }
    if cert.assurance_level is not None:
        out["assurance_level"] = cert.assurance_level
    if cert.region is not None:
        out["region"] = _region(cert.region)
    return out


def _region(region: Any) -> dict[str, Any]:
    deg = 1e-7
    if region.kind == "circle":
        lat, lon, radius = region.circle
        return {"circle": {"lat": lat * deg, "lon": lon * deg, "radius_m": radius}}
    if region.kind == "rectangles":
        return {"rectangles": [[v * deg for v in r] for r in region.rectangles]}
    if region.kind == "polygon":
        return {"polygon": [[a * deg, b * deg] for a, b in region.polygon]}
    if region.kind == "identified":
        return {"countries": list(region.countries)}
    return {"kind": region.kind}


def run_show(args: argparse.Namespace) -> int:
    from rsu.security.files import load_certificate

    info = describe(load_certificate(args.file))
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    width = max(len(k) for k in info)
    for key, value in info.items():
        text = value if isinstance(value, str | int | float) else json.dumps(value)
        print(f"{key:{width}}  {text}")
    return 0
