"""``nat scratch`` on generated images: a tiny run, its no-op resume, and one-line errors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from nat_cli.main import main
from tests.data.fake_cifar import write_image_tree


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_image_tree(tmp_path_factory.mktemp("images") / "tree", train_per_class=10, test_per_class=2)


@pytest.fixture(scope="module", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Decoded images go to a temporary cache, not the user's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NAT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def scratch_argv(images: Path, log_dir: Path, *extra: str) -> list[str]:
    return [
        "scratch", "--genotype", "DARTS_V2", "--preset", "tiny", "--epochs", "2", "--device", "cpu",
        "--archive", str(images), "--log-dir", str(log_dir), *extra,
    ]  # fmt: skip


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = [line for line in capsys.readouterr().err.strip().splitlines() if "error" in line]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(scope="module")
def finished_run(images: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    log_dir = tmp_path_factory.mktemp("run")
    assert main(scratch_argv(images, log_dir)) == 0
    return log_dir


def test_a_tiny_run_writes_its_folder(finished_run: Path) -> None:
    assert {p.name for p in finished_run.iterdir()} == {"config.json", "checkpoint.pt", "results.json"}
    results = json.loads((finished_run / "results.json").read_text())
    assert results["result"]["protocol"]["epochs"] == 2
    assert results["result"]["name"] == "DARTS_V2"
    assert results["result"]["test_images"] == 20


def test_resuming_a_finished_run_is_a_no_op(
    images: Path, finished_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (finished_run / "results.json").read_text()
    assert main(scratch_argv(images, finished_run, "--resume")) == 0
    assert "test accuracy" in capsys.readouterr().out
    assert (finished_run / "results.json").read_text() == before


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--resume", "--seed", "1"], "refusing to resume .* with a different configuration: seed: 0 -> 1"),
        (["--resume", "--epochs", "3"], r"protocol\.epochs: 2 -> 3"),
        ([], "already holds a run; pass --resume"),
    ],
)
def test_a_used_folder_is_refused_in_one_line(
    images: Path, finished_run: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    assert main(scratch_argv(images, finished_run, *extra)) == 1
    line = one_error_line(capsys)
    assert line.startswith("nat scratch: error: ")
    assert re.search(message, line), line


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--genotype", "DARTS_V9"], "unknown genotype 'DARTS_V9' (did you mean DARTS_V2"),
        (
            ["--preset", "huge"],
            "unknown preset 'huge' (from-scratch protocols of DARTS genotypes); known presets: darts, short, tiny",
        ),
        (
            [
                "--preset",
                "darts",
                "--genotype",
                "|nor_conv_3x3~0|+|skip_connect~0|none~1|+|none~0|none~1|avg_pool_3x3~2|",
            ],
            "unknown preset 'darts' (from-scratch protocols of NAS-Bench-201 genotypes); known presets: nb201, short, tiny",
        ),
        (["--resume"], "nothing to resume"),
        (["--archive", "absent.tar.gz"], "CIFAR-10 archive absent.tar.gz does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    images: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], change: list[str], message: str
) -> None:
    assert main([*scratch_argv(images, tmp_path / "run"), *change]) == 1
    line = one_error_line(capsys)
    assert line.startswith("nat scratch: error: ")
    assert message in line, line


@pytest.mark.parametrize("argv", [["scratch"], ["scratch", "--genotype", "VGG", "--epochs", "0"]])
def test_bad_flags_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    assert raised.value.code == 2
    assert capsys.readouterr().err.startswith("nat: error: ")
