"""Key stores: a PEM file (mode enforced) and PKCS#11 against a real SoftHSM token."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from rsu.errors import KeyStoreError
from rsu.security.keys import PemKeyStore, open_key_store, write_pem_key
from rsu.security.pki import Subject, issue
from rsu.security.sign import Signer
from rsu.security.times import utc_to_time32
from tests.security.helpers import FRAME, MAP, NOW, pki

_LIBS = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")
SOFTHSM_LIB = next((p for p in _LIBS if Path(p).exists()), _LIBS[0])


def test_pem_key_is_written_0600_and_signs(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    assert pki().rsu.key is not None
    write_pem_key(pki().rsu.key, path)
    assert path.stat().st_mode & 0o777 == 0o600
    store = PemKeyStore(path)
    spdu = Signer(store, pki().rsu.cert).sign(FRAME, MAP, NOW)
    assert pki().verifier().verify(spdu, NOW).result == "valid"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_pem_key_readable_by_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "k.pem"
    write_pem_key(ec.generate_private_key(ec.SECP256R1()), path)
    path.chmod(mode)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        PemKeyStore(path)


def test_pem_key_that_is_not_a_key_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "k.pem"
    path.write_text("hello")
    path.chmod(0o600)
    with pytest.raises(KeyStoreError, match="not an unencrypted PKCS#8 PEM key"):
        PemKeyStore(path)
    with pytest.raises(KeyStoreError, match="cannot open"):
        PemKeyStore(tmp_path / "missing.pem")


@pytest.fixture(scope="module")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A SoftHSM token in a temp dir (own SOFTHSM2_CONF) with an EC P-256 key pair "rsu".

    Module-scoped: SoftHSM reads its config once per process (at C_Initialize), so every
    test of this module shares the one token; the variable is restored afterwards.
    """
    util = shutil.which("softhsm2-util")
    assert util is not None, "softhsm2 is installed by .ci/run"
    base = tmp_path_factory.mktemp("softhsm")
    (base / "tokens").mkdir()
    conf = base / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n")
    old = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [util, "--init-token", "--free", "--label", "rsu-test", "--pin", "4321", "--so-pin",
         "987654"], check=True, capture_output=True,
    )  # fmt: skip
    import pkcs11
    from pkcs11.util.ec import encode_named_curve_parameters

    lib = pkcs11.lib(SOFTHSM_LIB)
    with lib.get_token(token_label="rsu-test").open(user_pin="4321", rw=True) as session:
        params = session.create_domain_parameters(
            pkcs11.KeyType.EC,
            {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")},
            local=True,
        )
        params.generate_keypair(store=True, label="rsu")
    yield SOFTHSM_LIB, "rsu-test"
    if old is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = old


def test_pkcs11_key_in_softhsm_signs_what_verifies(
    softhsm: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, token = softhsm
    monkeypatch.setenv("RSU_PKCS11_PIN", "4321")
    store = open_key_store("pkcs11", module=module, token=token, key="rsu")
    try:
        subject = Subject("hsm-rsu", utc_to_time32(NOW) - 60, 3600, app_psids=(MAP,))
        cert = issue(pki().ca, subject, store.public_key())  # the CA certifies the HSM's key
        spdu = Signer(store, cert).sign(FRAME, MAP, NOW)
        assert pki().verifier().verify(spdu, NOW).result == "valid"
    finally:
        store.close()


def test_pkcs11_wrong_pin_token_or_label_is_a_clear_error(
    softhsm: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    module, token = softhsm
    monkeypatch.delenv("RSU_PKCS11_PIN", raising=False)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    with pytest.raises(KeyStoreError, match="PIN"):
        open_key_store("pkcs11", module=module, token=token, key="rsu")
    monkeypatch.setenv("RSU_PKCS11_PIN", "0000")
    with pytest.raises(KeyStoreError, match="token 'rsu-test'"):
        open_key_store("pkcs11", module=module, token=token, key="rsu")
    monkeypatch.setenv("RSU_PKCS11_PIN", "4321")
    with pytest.raises(KeyStoreError, match="token 'nope'"):
        open_key_store("pkcs11", module=module, token="nope", key="rsu")
    with pytest.raises(KeyStoreError, match="key 'other'"):
        open_key_store("pkcs11", module=module, token=token, key="other")


def test_pkcs11_pin_from_a_systemd_credential(
    softhsm: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "pkcs11-pin").write_text("4321\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    monkeypatch.delenv("RSU_PKCS11_PIN", raising=False)
    module, token = softhsm
    store = open_key_store("pkcs11", module=module, token=token, key="rsu")
    assert store.curve == "nistp256"
    store.close()
