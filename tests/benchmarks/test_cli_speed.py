"""The command-line speed benchmark times every help and the floor, and writes its result file."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import cli_speed
from nat_cli.main import COMMANDS


def test_every_help_is_timed() -> None:
    calls = cli_speed.invocations()
    assert {f"nat {name} --help" for name in COMMANDS} < set(calls)
    assert calls["nat table build --help"][-3:] == ["table", "build", "--help"]
    assert calls[cli_speed.FLOOR] == ["-c", "pass"]


def test_smoke_run_writes_the_medians(tmp_path: Path) -> None:
    cli_speed.main(["--smoke", "--out", str(tmp_path / "cli.json")])
    results = json.loads((tmp_path / "cli_smoke.json").read_text())["results"]
    assert set(results["median_seconds"]) == set(cli_speed.invocations())
    assert all(value > 0 for value in results["median_seconds"].values())
    assert results["slowest"]["call"] != cli_speed.FLOOR
    assert isinstance(results["all_under_target"], bool)
