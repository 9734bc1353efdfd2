"""Key stores: where the RSU's signing key lives (an edge: a small protocol, lazy backends).

- ``pem``: a PKCS#8 PEM file, which must be readable by its owner only (mode 0600 or
  stricter; group/other bits refuse the file, as ssh does);
- ``pkcs11``: a key inside a hardware module (or SoftHSM), through ``python-pkcs11``
  (:mod:`rsu.security.pkcs11`);
- ``sim``: a key made in memory when the process starts (``rsu demo``, tests).

Every backend signs the 1609.2 signing input (``Hash(tbs) || Hash(signer)``) with ECDSA over
the curve's hash and returns the two integers.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from rsu.errors import KeyStoreError
from rsu.registry import load
from rsu.security import ecc

BACKENDS = {
    "pem": ("rsu.security.keys", "PemKeyStore"),
    "pkcs11": ("rsu.security.pkcs11", "Pkcs11KeyStore"),
    "sim": ("rsu.security.keys", "MemoryKeyStore"),
}


class KeyStore(Protocol):
    """A signing key: its curve, its public key, and ECDSA."""

    name: str
    curve: str

    def public_key(self) -> ec.EllipticCurvePublicKey: ...

    def sign(self, message: bytes) -> ecc.RawSignature:
        """ECDSA of ``message`` (hashed here with the curve's hash)."""
        ...

    def close(self) -> None: ...


def open_key_store(backend: str, **options: Any) -> KeyStore:
    cls = load(BACKENDS, backend, "key store", extra="security")
    store: KeyStore = cls(**options)
    return store


class MemoryKeyStore:
    """An in-memory key (generated unless given): the ``sim`` backend."""

    name = "sim"

    def __init__(
        self, key: ec.EllipticCurvePrivateKey | None = None, curve: str = "nistp256"
    ) -> None:
        self._key = key or ec.generate_private_key(ecc.CURVES[curve])
        self.curve = ecc.curve_of(self._key)

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._key.public_key()

    def sign(self, message: bytes) -> ecc.RawSignature:
        return ecc.sign(self._key, self.curve, message)

    def private_key(self) -> ec.EllipticCurvePrivateKey:
        return self._key

    def close(self) -> None:
        """Nothing to release."""


class PemKeyStore(MemoryKeyStore):
    """A PKCS#8 PEM private key file (unencrypted), mode 0600 or stricter."""

    name = "pem"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        super().__init__(load_pem_key(self.path))


def load_pem_key(path: Path) -> ec.EllipticCurvePrivateKey:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as err:
        raise KeyStoreError(f"cannot open the key {path}: {err.strerror}") from err
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(handle.fileno()).st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyStoreError(
                f"the key {path} is readable by group or others (mode {mode & 0o777:04o}); "
                f"chmod 600 {path}"
            )
        data = handle.read(64 * 1024)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as err:
        raise KeyStoreError(f"{path} is not an unencrypted PKCS#8 PEM key: {err}") from err
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise KeyStoreError(f"{path} holds a {type(key).__name__}, not an EC key")
    try:
        ecc.curve_of(key)
    except ecc.CryptoFailure as err:
        raise KeyStoreError(f"{path}: {err}") from err
    return key


def write_pem_key(key: ec.EllipticCurvePrivateKey, path: Path) -> None:
    """Write ``key`` as PKCS#8 PEM, created with mode 0600 (never wider, even briefly)."""
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(data)
