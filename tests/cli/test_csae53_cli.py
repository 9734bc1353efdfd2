"""``rsu decode/encode --standard csae53``: the same contract as J2735 (one JER line per input,
``{"error": ...}`` per failed line, exit 0 / 1 / 2), through ``main`` and the console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rsu.cli.main import main
from tests.v2x.vectors import load

REAL = load("csae53_real.jsonl")
GENERATED = load("csae53_generated.jsonl")
BY_FRAME = {next(iter(v["value"])): v for v in REAL}


def _lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_every_day1_frame_decodes_to_a_choice_jer_line_in_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    frames = ["bsmFrame", "mapFrame", "spatFrame", "rsiFrame", "rsmFrame"]
    code = main(["decode", "--standard", "csae53", *[BY_FRAME[f]["hex"] for f in frames]])
    lines = _lines(capsys)
    assert code == 0
    assert [next(iter(line)) for line in lines] == frames  # JER of a CHOICE: {"bsmFrame": ..}
    ref = BY_FRAME["bsmFrame"]["value"]["bsmFrame"]
    assert lines[0]["bsmFrame"]["pos"]["lat"] == ref["pos"]["lat"]  # type: ignore[index]
    assert lines[3]["rsiFrame"]["rtes"][0]["eventType"] == 9902  # type: ignore[index]


def test_failed_lines_are_error_objects_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = BY_FRAME["rsmFrame"]["hex"]
    source = tmp_path / "frames.txt"
    source.write_text(f"{good}\nnot-hex\n{good[:10]}\n\n# a comment\n{good}\n")
    code = main(["decode", "--standard", "csae53", "--file", str(source)])
    lines = _lines(capsys)
    assert code == 1
    assert len(lines) == 4  # the blank line and the comment are skipped
    assert "rsmFrame" in lines[0]
    assert "rsmFrame" in lines[3]
    assert "not hex" in lines[1]["error"]["reason"]  # type: ignore[index]
    truncated = lines[2]["error"]
    assert truncated["hex"] == good[:10]  # type: ignore[index]
    assert truncated["path"].startswith("rsmFrame")  # type: ignore[index]


def test_units_and_summary_name_the_standard(capsys: pytest.CaptureFixture[str]) -> None:
    hexes = [BY_FRAME["bsmFrame"]["hex"]]
    assert main(["decode", "--standard", "csae53", "--format", "summary", *hexes]) == 0
    (summary,) = _lines(capsys)
    assert summary["standard"] == "csae53"
    assert summary["short"] == "BSM"
    assert summary["lat"] == BY_FRAME["bsmFrame"]["value"]["bsmFrame"]["pos"]["lat"]
    assert main(["decode", "--standard", "csae53", "--format", "units", *hexes]) == 0
    (units,) = _lines(capsys)
    assert units["bsmFrame"]["pos"]["lat_deg"] == pytest.approx(summary["lat"] / 1e7)  # type: ignore[index,operator]


def test_unknown_standard_is_an_error_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["decode", "--standard", "etsi", "00"]) == 2  # a usage error
    err = capsys.readouterr().err
    assert "'etsi'" in err
    assert "csae53" in err
    assert "j2735" in err


def test_encode_is_bit_identical_for_generated_frames_and_refuses_bad_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    picked = [next(v for v in GENERATED if v["frame"] == f) for f in ("rsiFrame", "rsmFrame")]
    jers = [main(["decode", "--standard", "csae53", v["hex"]]) for v in picked]
    assert jers == [0, 0]
    values = capsys.readouterr().out.splitlines()
    bad = json.loads(values[1])
    bad["rsmFrame"]["participants"][0]["speed"] = 9000  # Speed is 0..8191
    source = tmp_path / "values.jsonl"
    source.write_text(f"{values[0]}\n{json.dumps(bad)}\n{values[1]}\n")
    code = main(["encode", "--standard", "csae53", "--file", str(source)])
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert code == 1
    assert lines[0] == picked[0]["hex"]
    assert lines[2] == picked[1]["hex"]
    error = json.loads(lines[1])["error"]
    assert "participants" in error["path"]
    assert out.err.startswith("error:")


def test_encode_an_inner_type_and_the_console_script_reads_stdin() -> None:
    rsm = main(["decode", "--standard", "csae53", BY_FRAME["rsmFrame"]["hex"]])
    assert rsm == 0
    frame = BY_FRAME["rsmFrame"]
    proc = subprocess.run(
        [sys.executable, "-m", "rsu.cli.main", "decode", "--standard", "csae53", "-f", "-"],
        input=frame["hex"] + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0
    value = json.loads(proc.stdout)["rsmFrame"]
    encode = ["encode", "--standard", "csae53", "--type", "RoadsideSafetyMessage", "-f", "-"]
    proc = subprocess.run(
        [sys.executable, "-m", "rsu.cli.main", *encode],
        input=json.dumps(value),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # MessageFrame = CHOICE index (3 bits incl. extension) + the RSM: the inner bytes differ
    whole = bytes.fromhex(frame["hex"])
    inner = bytes.fromhex(proc.stdout.strip())
    assert 0 < len(inner) <= len(whole)


def test_tx_takes_the_jer_of_a_frame_of_either_standard(tmp_path: Path) -> None:
    """``rsu tx --file X.json`` encodes J2735 and CSAE 53 frames alike (told apart by shape)."""
    import argparse

    from rsu.cli.tx import _payload
    from rsu.v2x.codec import get_codec

    frame = GENERATED[0]
    value = tmp_path / "frame.json"
    value.write_text(json.dumps(get_codec("csae53").decode(bytes.fromhex(frame["hex"])).jer()))
    args = argparse.Namespace(hex=None, file=str(value))
    assert _payload(args) == frame["hex"]
