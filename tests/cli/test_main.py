"""The ``nat`` parser, error reporting, ``nat cost``, ``nat table build`` and ``nat bench``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nat_cli.bench import BENCHMARKS
from nat_cli.main import COMMANDS, build_parser, command_module, configuration, main
from tests.conftest import shared_file
from tests.data.fake_cifar import write_image_tree, write_tarball

NB201_CELL = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|"


def _exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as raised:
        main(argv)
    code = raised.value.code
    assert isinstance(code, int)
    return code


@pytest.mark.parametrize("argv", [[], *[[name] for name in COMMANDS], ["table", "build"]])
def test_help_everywhere(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code([*argv, "--help"]) == 0
    assert "usage: nat" in capsys.readouterr().out


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_a_dataclass_of_flags_or_its_own_parser(name: str) -> None:
    module = command_module(name)
    assert hasattr(module, "ARGS") or (hasattr(module, "add_parser") and hasattr(module, "from_namespace"))


def test_a_command_without_its_own_parser_gets_one_flag_per_field_of_its_dataclass() -> None:
    from nat_cli.cost import CostArgs
    from nat_cli.pretrain import PretrainArgs

    namespace = build_parser("cost").parse_args(["cost", "DARTS_V2", "--dataset", "imagenet"])
    assert configuration(command_module("cost"), namespace) == CostArgs("DARTS_V2", "imagenet")
    argv = ["pretrain", "--batches", "7", "--overrides", "lr=0.02"]
    namespace = build_parser("pretrain").parse_args(argv)
    expected = PretrainArgs(batches=7, overrides={"lr": 0.02})
    assert configuration(command_module("pretrain"), namespace) == expected
    assert configuration(command_module("pretrain"), build_parser("pretrain").parse_args(["pretrain"])) == (
        PretrainArgs()
    )


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["cost"],
        ["cost", "DARTS_V2", "--dataset", "mnist"],
        ["train", "--algo", "sarsa"],
        ["train", "--total-timesteps", "0"],
        ["train", "--algo", "lstm", "--policy", "gcn"],
        ["train", "--env-kwargs", "no-equals-sign"],
        ["transform"],
        ["transform", "--genotype", "DARTS_V2", "--out", "picture.jpg"],
        ["table", "build", "only-one-path"],
        ["bench", "nonexistent"],
    ],
)
def test_bad_arguments_give_one_line_and_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("nat: error: ")
    assert captured.out == ""


def test_cost_of_darts_v2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", "DARTS_V2"]) == 0
    out = capsys.readouterr().out
    assert "3.35 M" in out
    assert "528 M" in out


def test_cost_reads_a_file_and_an_nb201_string(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cell.txt"
    path.write_text(NB201_CELL + "\n")
    assert main(["cost", str(path)]) == 0
    from_file = capsys.readouterr().out
    assert main(["cost", NB201_CELL]) == 0
    assert capsys.readouterr().out == from_file
    assert "NAS-Bench-201 cell" in from_file


@pytest.mark.parametrize(
    "spec",
    [
        "Genotype(normal=[('sep_conv_3x3', 0)",
        "|nor_conv_3x3~0|+|",
        "|warp_drive~0|+|none~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|",
        "NOT_A_GENOTYPE",
        "missing/file.txt",
    ],
)
def test_malformed_genotype_gives_one_line_and_exit_1(spec: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cost", spec]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("nat cost: error: ")


def test_an_unknown_genotype_name_gets_the_library_message(capsys: pytest.CaptureFixture[str]) -> None:
    from nat_env import genotypes

    assert main(["cost", "DARTS_V3"]) == 1
    with pytest.raises(KeyError) as raised:
        genotypes.get("DARTS_V3")
    assert capsys.readouterr().err.strip() == f"nat cost: error: {raised.value}"


def test_debug_shows_the_traceback() -> None:
    with pytest.raises(Exception, match="malformed genotype"):
        main(["cost", "|nor_conv_3x3~0|+|", "--debug"])


def test_missing_table_is_a_one_line_runtime_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["transform", "--genotype", NB201_CELL, "--env-kwargs", f"table_path={tmp_path / 'absent.csv'}"]
    assert main(argv) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[-1].startswith("nat transform: error: ")
    assert len([line for line in lines if "error" in line]) == 1


def test_table_build_from_fixture_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fixtures = shared_file("NAT_NB201_FIXTURES", "data/nb201/nats_tss_fixtures")
    if fixtures is None:
        pytest.skip("the NATS-Bench fixture files are absent (../shared/data/nb201/nats_tss_fixtures)")
    archive = tmp_path / "archive"
    shutil.copytree(fixtures, archive)
    output = tmp_path / "table.csv"
    assert main(["table", "build", str(archive), str(output), "--no-progress"]) == 0
    assert "rows" in capsys.readouterr().out
    rows = output.read_text().strip().splitlines()
    assert rows[0].startswith("index,arch_str")
    assert len(rows) == 1 + len(list(archive.glob("[0-9]*.pickle.pbz2")))


def test_table_build_of_a_missing_folder_is_a_runtime_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["table", "build", str(tmp_path / "absent"), str(tmp_path / "out.csv")]) == 1
    assert capsys.readouterr().err.startswith("nat table: error: no such archive folder")


@pytest.mark.parametrize("name", sorted(BENCHMARKS))
def test_bench_forwards_help_to_the_benchmark(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["bench", name, "--help"]) == 0
    assert f"usage: nat bench {name}" in capsys.readouterr().out


def test_a_benchmark_check_becomes_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "published", "--transitions", "foo"]) == 2
    assert capsys.readouterr().err.strip() == (
        "nat bench published: error: --transitions must be one of nat, nat++, got 'foo'"
    )


def _nat(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m nat_cli ARGV`` in a fresh interpreter (what a user's shell runs)."""
    return subprocess.run(
        [sys.executable, "-m", "nat_cli", *argv],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2]), **(env or {})},
    )


def test_help_loads_neither_torch_nor_the_learners() -> None:
    code = (
        "import sys\n"
        "from nat_cli.main import COMMANDS, main\n"
        "for argv in [[], *[[name] for name in COMMANDS], ['table', 'build']]:\n"
        "    try:\n"
        "        main([*argv, '--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('torch', 'stable_baselines3', 'torch_geometric', 'matplotlib', 'agents.zoo')\n"
        "print(sorted(m for m in sys.modules if m in heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_help_shows_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(["train", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    for default in ("(default: NAT-NB201-CIFAR10-v0)", "(default: reinforce)", "(default: 20000)"):
        assert default in out
    assert "(default: no)" in out  # --resume
    assert "--threads" in out


def test_transform_without_a_checkpoint_warns_before_making_the_env(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import nat_cli.transform

    class Made(Exception):
        pass

    def make_env(env_id: str, env_kwargs: dict[str, object]) -> None:
        assert "no --checkpoint: using a random policy" in capsys.readouterr().err
        raise Made(env_id)

    monkeypatch.setattr(nat_cli.transform, "make_env", make_env)
    with pytest.raises(Made, match="NAT-CIFAR10-v0"):
        main(["transform", "--genotype", "DARTS_V2", "--debug"])


@pytest.mark.slow
def test_transform_without_a_checkpoint_warns_before_the_warm_up(tmp_path: Path) -> None:
    archive = write_tarball(write_image_tree(tmp_path / "tree", 20, 2), tmp_path / "images.tar.gz")
    done = _nat(
        "transform", "--genotype", "DARTS_V2", "-k", "2", "--env-kwargs", "preset=tiny", "device=cpu",
        "warmup_steps=6", "reward_images=32", f"archive={archive}", f"cache_dir={tmp_path / 'cache'}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    warning = next(i for i, line in enumerate(lines) if "no --checkpoint: using a random policy" in line)
    announced = next(i for i, line in enumerate(lines) if line.startswith("supernet warm-up: 6 batches"))
    finished = next(
        i for i, line in enumerate(lines) if line.startswith("supernet warm-up: 6/6 batches done")
    )
    assert warning < announced < finished
    assert "estimated from the first 3" in lines[announced]


def test_the_readme_lists_every_benchmark() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"`nat bench \{([a-z_,]+)\}`", readme)
    assert listed is not None
    assert sorted(listed.group(1).split(",")) == sorted(BENCHMARKS)


def test_rerank_needs_a_supernet_env(any_table: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["transform", "--genotype", NB201_CELL, "--env-kwargs", f"table_path={any_table}", "--rerank", "3"]
    assert main(argv) == 1
    assert "--rerank: two-stage selection fine-tunes from a supernet" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("stage", "described"),
    [
        ("finetune", "each candidate fine-tuned alone for 1 batches from the supernet's weights"),
        (
            "neighbourhood",
            "the input's neighbourhood alone trained for 1 batches from the supernet's weights",
        ),
    ],
)
def test_rerank_chooses_by_fine_tuned_accuracies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stage: str, described: str
) -> None:
    archive = write_tarball(write_image_tree(tmp_path / "tree", 20, 2), tmp_path / "images.tar.gz")
    argv = [
        "transform", "--genotype", NB201_CELL, "--env-id", "NAT-NB201-Supernet-CIFAR10-v0", "-k", "4",
        "--rerank", "2", "--rerank-batches", "1", "--rerank-stage", stage, "--env-kwargs", "preset=tiny",
        "device=cpu", "warmup_steps=4", "reward_images=32", f"archive={archive}", f"cache_dir={tmp_path / 'cache'}",
    ]  # fmt: skip
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "sampling, re-ranked top 2" in out
    assert described in out
