"""Evaluators: anything that returns a validation accuracy for a genotype (table, supernet, fake).

The environment's reward is the difference of two evaluations, R(α|β) = acc(α) − acc(β) (Guo et al.,
2019, eq. 2), so an evaluator is the only part of the MDP that knows about data or weights.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from nat_env.genotypes import Genotype


@dataclass(frozen=True)
class Evaluation:
    """The result of evaluating one genotype.

    Attributes:
        accuracy: validation accuracy as a fraction in [0, 1]; the only number a reward may use.
        extra: anything else worth reporting (test accuracy, number of images...), never used for rewards
            or selection.
    """

    accuracy: float
    extra: Mapping[str, float] = field(default_factory=dict)


@runtime_checkable
class Evaluator(Protocol):
    """Returns validation accuracies; genotypes passed together are evaluated on the same data."""

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        """One :class:`Evaluation` per genotype, in order."""
        ...


class FunctionEvaluator:
    """An evaluator from a plain function (tests and toy problems).

    Args:
        function: genotype -> validation accuracy (fraction).
    """

    def __init__(self, function: Callable[[Genotype], float]) -> None:
        self.function = function

    def evaluate(self, genotypes: Sequence[Genotype]) -> list[Evaluation]:
        return [Evaluation(float(self.function(g))) for g in genotypes]
