"""``nat train --policy package.module:Class`` and ``nat transform`` with a user's own policy module."""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import pytest

from agents.zoo import LearnerSpec, make_learner
from nat_cli.main import main
from tests.cli.test_train import ENV, NB201_CELL, train_argv

MODULE = "own_policies_for_tests"
SOURCE = textwrap.dedent(
    """
    import torch as th
    from torch import nn

    from agents import EdgePolicy
    from agents.policies import EdgeNetwork, GraphBatch, GraphShape


    class OpTable(EdgeNetwork):
        def __init__(self, shape: GraphShape) -> None:
            super().__init__(shape)
            self.table = nn.Embedding(shape.n_ops * shape.n_cells, shape.n_choices)
            self.value = nn.Parameter(th.zeros(1))

        def forward(self, graph: GraphBatch) -> tuple[th.Tensor, th.Tensor]:
            logits = self.table(graph.edge_op * self.shape.n_cells + graph.edge_cell)
            return logits, self.value.repeat(len(logits), 1)


    class OpTablePolicy(EdgePolicy):
        network_class = OpTable


    class NotAPolicy:
        pass
    """
)


@pytest.fixture
def own_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A policy module in the current folder, as a user writes one (imported like ``python -m`` would)."""
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / f"{MODULE}.py").write_text(SOURCE)
    monkeypatch.chdir(folder)
    yield folder
    sys.modules.pop(MODULE, None)


@pytest.mark.usefixtures("own_module")
@pytest.mark.parametrize(
    ("algo", "policy"),
    [("reinforce", "OpTable"), ("ppo", "OpTablePolicy"), ("maskable_ppo", "OpTable")],
)
def test_train_resume_and_transform_with_your_own_policy(
    algo: str, policy: str, tmp_path: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if algo == "maskable_ppo":
        pytest.importorskip("sb3_contrib")
    name = f"{MODULE}:{policy}"
    run = tmp_path / "run"

    def argv(total: int, *extra: str) -> list[str]:
        flags = ("--algo", algo, "--policy", name, "--progress", "none", *extra)
        return train_argv(run, table_kwarg, total, *flags)

    assert main(argv(32)) == 0
    assert json.loads((run / "config.json").read_text())["args"]["policy"] == name
    sys.modules.pop(MODULE)  # as a later process finds it: the run folder names the module
    assert main(argv(64, "--resume")) == 0
    assert main(["transform", "--genotype", NB201_CELL, "--checkpoint", str(run), "-k", "2"]) == 0
    assert f"({algo}-{name}, 64 env steps)" in capsys.readouterr().out


def test_transform_a_model_saved_from_python_with_algo_and_policy(
    own_module: Path, tmp_path: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    env = gym.make(ENV, table_path=table_kwarg.partition("=")[2])
    model = make_learner(LearnerSpec("ppo", f"{MODULE}:OpTable", n_steps=16, device="cpu"), env)
    model.learn(total_timesteps=16)
    model.save(tmp_path / "ppo_optable.zip")
    argv = ["transform", "--genotype", NB201_CELL, "--checkpoint", str(tmp_path / "ppo_optable.zip")]
    assert main(argv) == 1
    assert "pass --algo and --policy (package.module:Class for your own)" in capsys.readouterr().err
    argv += ["--algo", "ppo", "--policy", f"{MODULE}:OpTable", "--env-kwargs", table_kwarg]
    assert main(argv) == 0
    assert f"(ppo-{MODULE}:OpTable, 16 env steps)" in capsys.readouterr().out


@pytest.mark.usefixtures("own_module")
@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("no_such_module_here:OpTable", "cannot import no_such_module_here"),
        (f"{MODULE}:Missing", f"{MODULE} has no class 'Missing'"),
        (f"{MODULE}:NotAPolicy", "is neither an EdgeNetwork nor a Stable-Baselines3 policy class"),
    ],
)
def test_a_policy_that_cannot_be_used_is_refused_before_the_run_folder_is_written(
    policy: str, message: str, tmp_path: Path, table_kwarg: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(train_argv(tmp_path / "run", table_kwarg, 32, "--policy", policy))
    assert raised.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()
