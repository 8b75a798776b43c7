"""Second opinions from the supernet's weights: a cell fine-tuned alone, and NAT's few-shot split."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from agents.evaluation import second_stage_of
from nat_env.envs.supernet import make_nb201_supernet_env
from nat_env.genotypes import Genotype, parse
from nat_env.records import CacheWarning
from nat_env.supernet import finetune
from nat_env.supernet.setup import clear_cache
from nat_env.transitions import NatTransitions
from tests.envs.conftest import tiny_supernet_env

pytestmark = pytest.mark.usefixtures("one_torch_thread")

BETA = parse(
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
)


def test_the_neighbourhood_stage_trains_one_copy_per_input_on_its_rewrites_alone(
    archive: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tiny_supernet_env(make_nb201_supernet_env, archive, cache)
    weights = {k: v.clone() for k, v in env.setup.supernet.state_dict().items()}
    trained: list[list[Genotype]] = []
    train = finetune.trained_copy

    def recording(supernet: Any, data: Any, genotype_of_step: Any, batches: int, *rest: Any) -> Any:
        trained.append([genotype_of_step(i) for i in range(batches)])
        return train(supernet, data, genotype_of_step, batches, *rest)

    monkeypatch.setattr(finetune, "trained_copy", recording)
    second = second_stage_of(env, batches=6, stage="neighbourhood")
    transitions = NatTransitions()
    alpha = transitions.apply(BETA, [1, 2, 0, 1, 1, 0])
    found = second.evaluate([BETA, alpha, alpha])
    assert len(trained) == 1
    # every batch trained a legal rewrite of beta (pruned), never a cell outside its neighbourhood
    for cell in trained[0]:
        assert all(
            after in (before, "skip_connect", "none")
            for before, after in zip(BETA.ops, cell.ops, strict=True)
        )
    assert len(set(trained[0])) > 1
    assert found[1].accuracy == found[2].accuracy
    assert all(0.0 <= e.accuracy <= 1.0 for e in found)
    assert found[0].extra["neighbourhood_batches"] == 6.0
    # beta's copy is remembered: known cells and a longer shortlist train nothing again, and the shared
    # weights never change
    assert second.evaluate([BETA, alpha]) == found[:2]
    longer = second.evaluate([BETA, alpha, transitions.apply(BETA, [2, 2, 2, 1, 0, 0])])
    assert longer[:2] == found[:2]
    assert len(trained) == 1
    for key, value in env.setup.supernet.state_dict().items():
        torch.testing.assert_close(value, weights[key])
    # another input trains its own copy, on its own neighbourhood
    other = parse(
        "|nor_conv_1x1~0|+|nor_conv_1x1~0|nor_conv_1x1~1|+|nor_conv_1x1~0|nor_conv_1x1~1|nor_conv_1x1~2|"
    )
    second.evaluate([other, transitions.apply(other, np.zeros(6, dtype=np.int64))])
    assert len(trained) == 2
    assert {op for cell in trained[1] for op in cell.ops} <= {*other.ops, "skip_connect", "none"}


def test_an_unknown_second_stage_is_refused(archive: Path, cache: Path) -> None:
    env = tiny_supernet_env(make_nb201_supernet_env, archive, cache)
    with pytest.raises(ValueError, match="unknown second stage 'table'"):
        second_stage_of(env, 2, stage="table")


def refuse_to_train(*_: Any) -> Any:
    raise AssertionError("a remembered fine-tuning ran again")


def test_fine_tuned_accuracies_survive_the_process(
    archive: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = tiny_supernet_env(make_nb201_supernet_env, archive, cache, seed=6)
    alpha = NatTransitions().apply(BETA, [1, 2, 0, 1, 1, 0])
    second = env.setup.finetuned_evaluator(3)
    assert second.path is not None
    assert not second.path.exists()
    found = second.evaluate([BETA, alpha])
    assert second.path.is_file()  # written after each fine-tuning: an interrupted run keeps what it trained
    clear_cache()
    monkeypatch.setattr(finetune, "trained_copy", refuse_to_train)
    fresh = tiny_supernet_env(make_nb201_supernet_env, archive, cache, seed=6)
    assert second_stage_of(fresh, 3).evaluate([alpha, BETA]) == found[::-1]
    # other settings are other accuracies: another file, trained anew
    assert fresh.setup.finetuned_evaluator(4).path != second.path
    with pytest.raises(AssertionError, match="ran again"):
        fresh.setup.finetuned_evaluator(4).evaluate([BETA])


def test_a_damaged_fine_tuning_file_is_set_aside_and_rebuilt(archive: Path, cache: Path) -> None:
    env = tiny_supernet_env(make_nb201_supernet_env, archive, cache, seed=8)
    second = env.setup.finetuned_evaluator(2)
    found = second.evaluate([BETA])
    assert second.path is not None
    second.path.write_text('{"|nor_conv_3x3~0|+|none~0|none~1|+|skip')
    with pytest.warns(CacheWarning, match=rf"{second.path.name} does not load .*set aside"):
        rebuilt = env.setup.finetuned_evaluator(2)
    assert rebuilt.memo == {}
    assert rebuilt.evaluate([BETA]) == found  # the same seed trains the same copy
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert env.setup.finetuned_evaluator(2).memo == {BETA.pruned(): found[0].accuracy}
