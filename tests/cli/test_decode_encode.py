"""The ``rsu decode`` / ``rsu encode`` contract, through the real console entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rsu.cli.main import main
from tests.v2x.vectors import load

J2735 = load("j2735_real.jsonl")
CSAE = load("csae53_real.jsonl")
BSM = next(f for f in J2735 if f["messageId"] == 20 and "1609.2" in str(f.get("wrapper")))
SPAT = next(f for f in J2735 if f["messageId"] == 19)


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_one_line_per_input_in_order_and_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["decode", BSM["hex"], BSM["outer_hex"], SPAT["hex"]])
    lines = _lines(capsys)
    assert code == 0
    assert [line["messageId"] for line in lines] == [20, 20, 19]
    assert lines[0] == lines[1]  # wrapped and bare give the same JER
    assert (
        lines[2]["value"]["intersections"][0]["id"]
        == SPAT["value"]["value"]["intersections"][0]["id"]
    )


def test_a_failed_line_is_an_error_object_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "frames.txt"
    truncated = BSM["hex"][:30]
    source.write_text(f"{SPAT['hex']}\nzz-not-hex\n{truncated}\n\n  # comment\n{SPAT['hex']}\n")
    code = main(["decode", "--file", str(source), ""])
    lines = _lines(capsys)
    assert code == 1
    assert len(lines) == 5  # blank and comment lines skipped; the empty argument is an error
    assert lines[1]["messageId"] == 19
    assert lines[4]["messageId"] == 19
    assert "not hex" in lines[2]["error"]["reason"]
    error = lines[3]["error"]
    assert error["hex"] == truncated
    assert error["reason"].startswith("truncated J2735 MessageFrame (messageId 20)")
    assert error["bit_offset"] == 16  # right after the messageId and the length octet
    assert lines[0]["error"]["reason"] == "empty input"


def test_unwrap_none_refuses_wrapped_bytes(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["decode", "--unwrap", "none", BSM["outer_hex"]])
    (line,) = _lines(capsys)
    assert code == 1
    assert "error" in line


def test_units_and_summary_formats(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--format", "units", BSM["hex"]]) == 0
    (units,) = _lines(capsys)
    core = units["value"]["coreData"]
    assert -90 <= core["lat_deg"] <= 90
    assert core["lat_deg"] == pytest.approx(BSM["value"]["value"]["coreData"]["lat"] * 1e-7)
    assert main(["decode", "--format", "summary", BSM["outer_hex"]]) == 0
    (summary,) = _lines(capsys)
    assert summary["short"] == "BSM"
    assert summary["envelope"]["kind"] in {"signed", "unsecured"}


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["decode"]) == 2
    assert main(["decode", "--format", "xml", SPAT["hex"]]) == 2
    assert main(["decode", "--file", str(tmp_path / "missing.txt")]) == 2
    assert main(["decode", "--standard", "etsi", SPAT["hex"]]) == 2
    assert "error:" in capsys.readouterr().err


def test_encode_prints_the_uper_hex_of_a_jer_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decode", SPAT["hex"]]) == 0
    (jer,) = _lines(capsys)
    value = tmp_path / "spat.json"
    value.write_text(json.dumps(jer))
    assert main(["encode", "--type", "MessageFrame", "--file", str(value)]) == 0
    assert capsys.readouterr().out.strip() == SPAT["hex"]


def test_encode_refuses_out_of_range_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["decode", BSM["hex"]]) == 0
    (jer,) = _lines(capsys)
    jer["value"]["coreData"]["heading"] = 99999
    value = tmp_path / "bsm.json"
    value.write_text(json.dumps(jer))
    assert main(["encode", "--file", str(value)]) == 1
    assert "heading" in capsys.readouterr().err


def test_csae53_decode_and_encode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = CSAE[0]
    assert main(["decode", "--standard", "csae53", frame["hex"]]) == 0
    (jer,) = _lines(capsys)
    assert len(jer) == 1
    value = tmp_path / "frame.json"
    value.write_text(json.dumps(jer))
    assert main(["encode", "--standard", "csae53", "--file", str(value)]) == 0
    assert capsys.readouterr().out.strip() == frame["hex"]


def test_the_console_script_reads_stdin(tmp_path: Path) -> None:
    frames = "\n".join(f["hex"] for f in J2735[:20]) + "\n"
    result = subprocess.run(
        [sys.executable, "-m", "rsu.cli.main", "decode", "--file", "-"],
        input=frames,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 20
