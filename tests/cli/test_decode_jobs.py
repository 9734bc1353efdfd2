"""``rsu decode --jobs N``: the same lines in the same order as one process, exit codes kept."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rsu.cli.main import main
from tests.cli.command import rsu_decode
from tests.v2x.vectors import load

FRAMES = [f.get("outer_hex") or f["hex"] for f in load("j2735_real.jsonl")]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    result = rsu_decode(*args)
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def test_jobs_keep_input_order_and_exit_codes(tmp_path: Path) -> None:
    lines = []
    for i, frame in enumerate(FRAMES):
        lines.append(frame)
        if i % 97 == 0:
            lines.extend(["# a comment", "", frame[:20], "xyz"])  # two bad lines now and then
    source = tmp_path / "frames.txt"
    source.write_text("\n".join(lines) + "\n")
    one = _run("--jobs", "1", "--file", str(source))
    two = _run("--jobs", "2", "--file", str(source))
    assert one.returncode == two.returncode == 1
    assert one.stdout == two.stdout
    out = one.stdout.splitlines()
    assert len(out) == len(FRAMES) + 2 * len(range(0, len(FRAMES), 97))
    assert two.stderr == one.stderr == ""


def test_good_input_exits_0_under_jobs(tmp_path: Path) -> None:
    source = tmp_path / "frames.txt"
    source.write_text("\n".join(FRAMES[:600]) + "\n")
    result = _run("-j", "3", "--format", "summary", "--file", str(source))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 600


@pytest.mark.parametrize("value", ["0", "-1", "65", "abc", "1e3", "nan"])
def test_jobs_out_of_range_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["decode", "--jobs", value, FRAMES[0]]) == 2
    assert "jobs" in capsys.readouterr().err


def test_dump_fastpath_writes_the_decoder_source(tmp_path: Path) -> None:
    result = _run("--standard", "csae53", "--dump-fastpath", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "out" / "fastpath_csae53.py").read_text()
    assert "def decode_MessageFrame(" in text
    blocked = tmp_path / "file"
    blocked.write_text("")
    result = _run("--dump-fastpath", str(blocked / "sub"))
    assert result.returncode == 2
    assert "cannot write" in result.stderr


def test_a_stage_sees_every_line_and_can_fail_it() -> None:
    """The seam for one more step (e.g. --verify): it runs after decode, on good and bad lines."""
    from typing import Any

    from rsu.cli.decode_lines import DecodeOptions, LineDecoder
    from rsu.v2x.message import V2xMessage

    seen: list[tuple[int, bool]] = []

    def stage(data: bytes, message: V2xMessage | None, record: dict[str, Any]) -> bool:
        seen.append((len(data), message is not None))
        record["checked"] = True
        return message is not None and message.message_id != 19  # fail SPaT lines

    decoder = LineDecoder(DecodeOptions())
    decoder.stages = (stage,)
    spat = next(f["hex"] for f in load("j2735_real.jsonl") if f["messageId"] == 19)
    blob, failed = decoder.chunk([FRAMES[0], spat, FRAMES[0][:20], "zz"])
    lines = blob.decode().splitlines()
    assert failed == 3  # the SPaT line (stage), the truncated frame (decode), "zz" (input)
    assert len(lines) == 4
    assert all('"checked":true' in line for line in lines[:3])
    assert [m for _, m in seen] == [True, True, False]  # no stage for input that is not hex


def test_an_endless_line_is_one_error_line_with_bounded_memory(tmp_path: Path) -> None:
    source = tmp_path / "long.txt"
    with source.open("w") as fh:
        fh.write("00" * 2_000_000 + "\n")  # 4 M characters: kept to 1 M, the rest dropped
        fh.write(FRAMES[0] + "\n")
    result = _run("--file", str(source))
    assert result.returncode == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert "larger than any V2X frame" in first["error"]["reason"]
    assert "messageId" in second
    garbage = rsu_decode(
        "--file", "-", stdin=b"\xff\xfe\x00" * 100_000 + b"\n" + FRAMES[0].encode()
    )
    assert garbage.returncode == 1  # not UTF-8: replaced, reported as not hex, never a crash
    assert len(garbage.stdout.splitlines()) == 2


def test_from_a_pipe_each_line_comes_out_as_its_input_arrives() -> None:
    """A live source (tcpdump -w - | rsu decode -f -) must not wait for a chunk to fill."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "rsu.cli.main", "decode", "--file", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    try:
        for frame in FRAMES[:3]:
            proc.stdin.write(frame.encode() + b"\n")
            proc.stdin.flush()
            line = proc.stdout.readline()  # the answer before the next input is written
            assert json.loads(line)["messageId"] in (18, 19, 20, 31)
        proc.stdin.close()
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_workers_keep_order_into_a_file_and_into_memory(tmp_path: Path) -> None:
    """Chunks done by two workers come out as one process writes them, after what the
    output already held."""
    import io

    from rsu.cli.decode_lines import CHUNK, DecodeOptions, run_lines

    items = (FRAMES * (4 * CHUNK // len(FRAMES) + 2))[: 4 * CHUNK + 7]
    items[CHUNK + 3] = "zz"  # one bad line, counted wherever it is decoded
    expected = io.BytesIO()
    assert run_lines(DecodeOptions(), items, expected, 1) == 1
    memory = io.BytesIO()
    assert run_lines(DecodeOptions(), items, memory, 2) == 1
    assert memory.getvalue() == expected.getvalue()
    path = tmp_path / "out.jsonl"
    with path.open("wb") as fh:
        fh.write(b"first\n")  # written before the workers start: stays first
        assert run_lines(DecodeOptions(), items, fh, 2) == 1
    assert path.read_bytes() == b"first\n" + expected.getvalue()


def test_a_reader_that_goes_away_ends_jobs_quietly(tmp_path: Path) -> None:
    source = tmp_path / "frames.txt"
    source.write_text("\n".join(FRAMES * 8) + "\n")
    cmd = f"{sys.executable} -m rsu.cli.main decode -j 2 --file {source} | head -n 3"
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd], capture_output=True, timeout=300, check=False
    )
    assert len(result.stdout.splitlines()) == 3
    assert result.returncode == 141, result.stderr
    assert b"Traceback" not in result.stderr
