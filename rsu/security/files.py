"""Certificates, trust directories and CRLs on disk (the file edge of the security core).

A trust directory holds COER certificates (``*.oer``, ``*.cert``, ``*.coer``): self-signed
explicit ones are trust anchors (their self-signature must verify), the others are
intermediates a receiver needs to build chains (trust still ends at an anchor). Signed CRLs
(``*.crl``) beside them are checked against the anchors and applied; a CRL that does not
parse or verify is counted and logged, never fatal. A certificate file that does not decode
is a ``SecurityError`` naming it (the operator gave a bad trust directory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import structlog

from rsu.errors import FramingError, SecurityError
from rsu.security.crl import load_crl
from rsu.security.trust import TrustStore
from rsu.security.verify import Verifier
from rsu.v2x.dot2_cert import Certificate, certificate_from_bytes

log = structlog.get_logger(__name__)

CERT_SUFFIXES = (".oer", ".coer", ".cert")
MAX_FILE = 1 << 20
"""Largest certificate or CRL file read (1 MiB; real ones are a few hundred octets)."""
MAX_FILES = 10_000


@dataclass(slots=True)
class TrustLoad:
    anchors: list[str] = field(default_factory=list)
    intermediates: list[str] = field(default_factory=list)
    crls: list[str] = field(default_factory=list)
    crl_errors: list[str] = field(default_factory=list)


def read_bounded(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE + 1)
    except OSError as err:
        raise SecurityError(f"cannot read {path}: {err.strerror or err}") from err
    if len(data) > MAX_FILE:
        raise SecurityError(f"{path} is larger than {MAX_FILE} octets")
    return data


def load_certificate(path: str | Path) -> Certificate:
    p = Path(path)
    data = read_bounded(p)
    try:
        return certificate_from_bytes(data)
    except FramingError as err:
        raise SecurityError(f"{p} is not a COER IEEE 1609.2 certificate: {err}") from err


def load_trust_dir(path: str | Path, store: TrustStore, now_utc: float) -> TrustLoad:
    """Fill ``store`` from the directory ``path``; what was loaded, by file name."""
    root = Path(path)
    if not root.is_dir():
        raise SecurityError(f"trust_dir {root} is not a directory")
    files = sorted(p for p in root.iterdir() if p.is_file())[:MAX_FILES]
    done = TrustLoad()
    for p in files:
        if p.suffix in CERT_SUFFIXES:
            cert = load_certificate(p)
            if cert.is_self_signed:
                try:
                    store.add_anchor(cert)
                except ValueError as err:
                    raise SecurityError(f"{p}: {err}") from err
                done.anchors.append(p.name)
            else:
                store.add_intermediate(cert)
                done.intermediates.append(p.name)
    if not done.anchors:
        raise SecurityError(f"trust_dir {root} holds no trust anchor (self-signed root)")
    verifier = Verifier(store)
    for p in files:
        if p.suffix == ".crl":
            result = load_crl(read_bounded(p), verifier, now_utc)
            (done.crls if result.ok else done.crl_errors).append(p.name)
            if not result.ok:
                log.warning("crl_rejected", file=str(p), detail=result.detail)
    return done
