"""Building the security stage from ``[security]``: files read, key store opened, checks.

Everything that can be wrong is found here, at start-up (or reload), as a ``SecurityError``
or ``ConfigError`` naming the key: a missing or unreadable certificate, a key that is not the
certificate's, a key file readable by others, a trust directory without an anchor, a signed
broadcast whose PSID the certificate does not permit.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from rsu.errors import ConfigError, SecurityError
from rsu.security.config import SecurityConfig
from rsu.security.files import load_certificate, load_trust_dir
from rsu.security.keys import KeyStore, open_key_store
from rsu.security.sign import Signer
from rsu.security.stage import SecurityStage
from rsu.security.trust import TrustStore
from rsu.security.verify import Verifier, VerifySettings
from rsu.v2x.psid import to_integer


def open_key(config: SecurityConfig, resolve: Callable[[str], Path]) -> KeyStore:
    if config.pkcs11 is not None:
        p = config.pkcs11
        return open_key_store("pkcs11", module=p.module, token=p.token, key=p.key)
    if config.key is None:
        raise ConfigError("security.key", "missing (give key or pkcs11)")
    return open_key_store("pem", path=resolve(config.key))


def make_signer(config: SecurityConfig, resolve: Callable[[str], Path]) -> Signer:
    if config.certificate is None:
        raise ConfigError("security.certificate", "missing (signing needs it)")
    cert = load_certificate(resolve(config.certificate))
    key = open_key(config, resolve)
    try:
        return Signer(key, cert, mode=config.signer, certificate_every_s=config.certificate_every_s)
    except SecurityError:
        key.close()
        raise


def build_stage(
    config: SecurityConfig,
    resolve: Callable[[str], Path],
    now_utc: float,
    position: tuple[int, int] | None = None,
) -> SecurityStage:
    verifier = None
    if config.verifies and config.trust_dir is not None:
        store = TrustStore(cache_size=config.cache_size)
        load_trust_dir(resolve(config.trust_dir), store, now_utc)
        verifier = Verifier(store, VerifySettings(country=config.country, position=position))
    signer = make_signer(config, resolve) if config.sign else None
    return SecurityStage(config, verifier, signer)


def check_broadcasts(stage: SecurityStage, entries: Iterable[tuple[str, str, int]]) -> None:
    """Every broadcast entry to be signed, ``(name, message type, p-encoded PSID)``, must
    have its PSID in the certificate: a config error otherwise, never an unsigned send."""
    if stage.signer is None:
        return
    for i, (name, message_type, psid) in enumerate(entries):
        if stage.wants_signing(message_type, name):
            try:
                integer = to_integer(psid)
            except ValueError as err:
                raise ConfigError(f"broadcast.messages[{i}].psid", str(err)) from err
            stage.signer.require(integer, f"broadcast.messages[{i}] ({name}, {message_type})")


@functools.lru_cache(maxsize=4)
def verifier_from_dir(trust_dir: str | Path, now_utc: float) -> Verifier:
    """A verifier trusting the anchors (and applying the CRLs) of ``trust_dir``; made once
    per process for the same arguments (``rsu decode`` checks the directory before the
    first line, and forked ``--jobs`` workers inherit it)."""
    store = TrustStore()
    load_trust_dir(trust_dir, store, now_utc)
    return Verifier(store)


def verify_stage(trust_dir: str, at: float | None) -> Callable[[bytes, Any, dict[str, Any]], bool]:
    """``rsu decode --verify``'s per-line stage: ``record["security"]`` from the line's bytes
    (whether they decoded or not); the verifier is built once per process (workers too)."""
    import time

    when = time.time() if at is None else at
    verifier = verifier_from_dir(trust_dir, when)

    def stage(data: bytes, message: Any, record: dict[str, Any]) -> bool:
        del message
        record["security"] = verifier.verify(data, when).as_dict()
        return True

    return stage
