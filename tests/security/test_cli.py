"""``rsu pki init/show``, ``rsu sign`` and ``rsu decode --verify`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rsu.cli.main import main
from rsu.v2x.dot2_cert import certificate_from_bytes
from tests.v2x.vectors import load

BSM = next(r["hex"] for r in load("j2735_real.jsonl") if r["hex"].startswith("0014"))
VW = next(r["hex"] for r in load("security_real.jsonl") if r["name"] == "vanetza-vw-golf8-cam")


@pytest.fixture
def pki_dir(tmp_path: Path) -> Path:
    assert main(["pki", "init", str(tmp_path / "pki")]) == 0
    return tmp_path / "pki"


def test_pki_init_writes_exactly_the_layout_with_a_private_key_0600(pki_dir: Path) -> None:
    files = sorted(str(p.relative_to(pki_dir)) for p in pki_dir.rglob("*") if p.is_file())
    assert files == ["ca.oer", "root.oer", "rsu.key.pem", "rsu.oer", "trust/ca.oer",
                     "trust/root.oer"]  # fmt: skip
    assert (pki_dir / "rsu.key.pem").stat().st_mode & 0o777 == 0o600
    assert (pki_dir / "rsu.key.pem").read_text().startswith("-----BEGIN PRIVATE KEY-----")
    root = certificate_from_bytes((pki_dir / "root.oer").read_bytes())
    ca = certificate_from_bytes((pki_dir / "ca.oer").read_bytes())
    rsu = certificate_from_bytes((pki_dir / "rsu.oer").read_bytes())
    assert root.is_self_signed
    assert ca.issuer_id8 == root.id8
    assert rsu.issuer_id8 == ca.id8
    assert {130, 2113687, 131, 144} <= {p.psid for p in rsu.app_permissions}
    assert (pki_dir / "trust/root.oer").read_bytes() == root.encoded
    assert main(["pki", "init", str(pki_dir)]) == 2  # never overwritten by accident


def test_pki_show_prints_id_issuer_validity_permissions_and_hashedid8(
    pki_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["pki", "show", str(pki_dir / "rsu.oer"), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    ca = certificate_from_bytes((pki_dir / "ca.oer").read_bytes())
    assert info["issuer"] == ca.id8.hex()
    assert info["id"] == {"kind": "name", "value": "rsu-edge RSU"}
    assert {"psid": 2113687, "psid_pencoded": "0xE0000017"} in info["app_permissions"]
    assert len(info["hashed_id8"]) == 16
    assert info["duration_hours"] == 24 * 365
    assert main(["pki", "show", str(pki_dir / "rsu.key.pem")]) == 1  # not a certificate


def test_sign_then_decode_verify_is_valid_and_a_forged_copy_is_not(
    pki_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "rsu.toml"
    config.write_text(
        f'[rsu]\nid = "r1"\n[security]\ntrust_dir = "{pki_dir}/trust"\n'
        f'certificate = "{pki_dir}/rsu.oer"\nkey = "{pki_dir}/rsu.key.pem"\nsign = ["MAP"]\n'
    )
    frame = tmp_path / "frame.hex"
    frame.write_text(BSM + "\n")
    capsys.readouterr()
    assert main(["sign", "--config", str(config), "--file", str(frame), "--psid", "0x8003"]) == 0
    signed = capsys.readouterr().out.split()[0]
    forged = signed[:40] + ("0" if signed[40] != "0" else "1") + signed[41:]
    code = main(["decode", "--verify", "--trust", f"{pki_dir}/trust", "--format", "summary",
                 signed, forged])  # fmt: skip
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code in (0, 1)
    assert lines[0]["security"]["result"] == "valid"
    assert lines[0]["security"]["psid"] == 131
    assert lines[0]["short"] == "BSM"
    assert lines[1]["security"]["result"] == "invalid_signature"


def test_decode_verify_of_the_real_vw_cam_is_a_valid_signature_of_an_unknown_signer(
    pki_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    main(["decode", "--verify", "--trust", f"{pki_dir}/trust", "--at", "2019-11-21T11:30:00Z",
          VW])  # fmt: skip
    sec = json.loads(capsys.readouterr().out)["security"]
    assert (sec["result"], sec["signature"], sec["signer_id8"]) == (
        "unknown_signer", "valid", "127cff384ce0b890"
    )  # fmt: skip


def test_cli_refuses_bad_arguments_with_a_message(
    pki_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decode", "--verify", BSM]) == 2  # no --trust
    assert main(["decode", "--verify", "--trust", str(tmp_path / "nope"), BSM]) == 1
    assert main(["pki", "init", str(tmp_path / "x"), "--psid", "0x7f00"]) == 2
    assert main(["pki", "init", str(tmp_path / "y"), "--days", "0"]) == 2
    (pki_dir / "rsu.key.pem").chmod(0o644)
    code = main(["sign", "--certificate", str(pki_dir / "rsu.oer"), "--key",
                 str(pki_dir / "rsu.key.pem"), BSM])  # fmt: skip
    assert code == 1
    assert "chmod 600" in capsys.readouterr().err


def test_decode_verify_runs_in_every_worker_of_jobs(
    pki_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["sign", "--certificate", str(pki_dir / "rsu.oer"), "--key",
                 str(pki_dir / "rsu.key.pem"), "--psid", "0x8003", BSM]) == 0  # fmt: skip
    signed = capsys.readouterr().out.strip()
    frames = tmp_path / "frames.hex"
    frames.write_text((signed + "\n") * 600)  # several chunks: more than one worker's share
    code = main(["decode", "--verify", "--trust", f"{pki_dir}/trust", "--jobs", "2",
                 "--format", "summary", "--file", str(frames)])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == 600
    assert {json.loads(line)["security"]["result"] for line in lines} == {"valid"}
