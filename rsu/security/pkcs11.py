"""The ``pkcs11`` key store: the signing key stays inside a hardware module.

Through ``python-pkcs11``: the module (``.so``) is loaded, the token found by its label, a
user session opened with the PIN, and the private key found by its label. The PIN comes from
a systemd credential (``$CREDENTIALS_DIRECTORY/pkcs11-pin``, see ``LoadCredential=``) or the
environment variable ``RSU_PKCS11_PIN``, never from the config file. ECDSA is done by the
module (``CKM_ECDSA`` over the hash computed here); the public key is read from the matching
public-key object (``CKA_EC_POINT``).

Tested against SoftHSM (Debian ``softhsm2``); see docs/security.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from rsu.errors import KeyStoreError
from rsu.security import ecc

PIN_CREDENTIAL = "pkcs11-pin"
PIN_ENV = "RSU_PKCS11_PIN"


def read_pin() -> str:
    cred_dir = os.environ.get("CREDENTIALS_DIRECTORY")
    if cred_dir:
        path = Path(cred_dir) / PIN_CREDENTIAL
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    pin = os.environ.get(PIN_ENV)
    if pin is None:
        raise KeyStoreError(
            f"no PKCS#11 PIN: give the systemd credential {PIN_CREDENTIAL!r} "
            f"(LoadCredential=) or set {PIN_ENV}"
        )
    return pin


class Pkcs11KeyStore:
    name = "pkcs11"

    def __init__(self, module: str, token: str, key: str, pin: str | None = None) -> None:
        import pkcs11
        from pkcs11.exceptions import PKCS11Error

        self._errors: tuple[type[Exception], ...] = (PKCS11Error, RuntimeError)
        try:
            lib = pkcs11.lib(module)
            self._token = lib.get_token(token_label=token)
            self._session = self._token.open(user_pin=pin if pin is not None else read_pin())
        except (*self._errors, OSError) as err:
            raise KeyStoreError(f"PKCS#11 {module} token {token!r}: {_say(err)}") from err
        try:
            self._key: Any = self._session.get_key(
                object_class=pkcs11.ObjectClass.PRIVATE_KEY, label=key
            )
            public = self._session.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=key)
            self._public = _public_key(public[pkcs11.Attribute.EC_POINT])
        except (*self._errors, ValueError) as err:
            self._session.close()
            raise KeyStoreError(f"PKCS#11 token {token!r} key {key!r}: {_say(err)}") from err
        self.curve = ecc.curve_of(self._public)
        self._mechanism = pkcs11.Mechanism.ECDSA

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self._public

    def sign(self, message: bytes) -> ecc.RawSignature:
        digest = hashlib.new(ecc.HASH_OF_CURVE[self.curve], message).digest()
        try:
            raw = self._key.sign(digest, mechanism=self._mechanism)
        except self._errors as err:
            raise KeyStoreError(f"PKCS#11 signing failed: {_say(err)}") from err
        half = len(raw) // 2
        return ecc.RawSignature(
            self.curve, int.from_bytes(raw[:half], "big"), int.from_bytes(raw[half:], "big")
        )

    def close(self) -> None:
        with contextlib.suppress(*self._errors):
            self._session.close()


def _public_key(ec_point: bytes) -> ec.EllipticCurvePublicKey:
    """CKA_EC_POINT is a DER OCTET STRING around the X9.62 point (SoftHSM, most HSMs)."""
    candidates = [ec_point]
    if len(ec_point) > 2 and ec_point[0] == 0x04 and ec_point[1] == len(ec_point) - 2:
        candidates.insert(0, ec_point[2:])
    for point in candidates:
        for curve in ecc.CURVES.values():
            try:
                return ec.EllipticCurvePublicKey.from_encoded_point(curve, point)
            except ValueError:
                continue
    raise ValueError("the public key's EC point is on none of 1609.2's curves")


def _say(err: Exception) -> str:
    return str(err) or type(err).__name__


__all__ = ["Pkcs11KeyStore", "read_pin"]
