"""Which genotypes train the supernet: the training distribution of the shared weights.

Data flow: a named distribution (``TrainingConfig.sampler``) → a sampler → one genotype per training
batch (:class:`nat_env.supernet.training.SupernetTrainer`). The shared weights are only as good as the
genotypes they were trained through, so the distribution decides which rewards the supernet gets right:

* ``mixture`` (default): the paper's uniform sampler plus a null-rich and a skip-rich one, so that
  transformed genotypes (which NAT makes null- and skip-rich) run through trained weights (background
  mistake 5).
* ``visits``: what the environment scores: half input genotypes β from the environment's own input
  distribution, half a uniformly random legal NAT rewrite α of such a β.
* ``unique``: NAS-Bench-201 only; uniform over the classes of connected cells that compute the same
  function (:func:`nat_env.nb201.cells.computation_classes`), a uniform member of the class each time,
  so that functions with many spellings are not over-trained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from nat_env import transitions as _transitions
from nat_env.genotypes import Genotype
from nat_env.nb201.cells import N_CELLS, computation_classes, genotype_of_code
from nat_env.sampler import GenotypeSampler

SAMPLERS = ("mixture", "visits", "unique")
"""Names of the training distributions."""


class Sampler(Protocol):
    """Anything that draws genotypes from a numpy generator."""

    def sample(self, rng: np.random.Generator) -> Genotype:
        """One genotype."""
        ...


class MixtureSampler:
    """Draws each genotype from one of several samplers, chosen uniformly.

    Args:
        samplers: the components.
    """

    def __init__(self, samplers: Sequence[Sampler]) -> None:
        self.samplers = tuple(samplers)

    @classmethod
    def warmup(
        cls, space: str, n_nodes: int, vocabulary: str, null_prob: float, skip_prob: float
    ) -> MixtureSampler:
        """The paper's uniform sampler plus a null-rich and a skip-rich one (docs/background.md, mistake 5)."""
        common: dict[str, Any] = {"space": space, "n_nodes": n_nodes, "vocabulary": vocabulary}
        return cls(
            [
                GenotypeSampler(**common),
                GenotypeSampler(**common, null_prob=null_prob),
                GenotypeSampler(**common, skip_prob=skip_prob),
            ]
        )

    def sample(self, rng: np.random.Generator) -> Genotype:
        """One genotype."""
        return self.samplers[int(rng.integers(len(self.samplers)))].sample(rng)


class CodeSampler:
    """Uniform over all NAS-Bench-201 cells (the NAS-Bench-201 environments' input distribution)."""

    def sample(self, rng: np.random.Generator) -> Genotype:
        """One cell."""
        return genotype_of_code(int(rng.integers(N_CELLS)))


class VisitsSampler:
    """Half inputs β, half a random legal NAT rewrite α of an input: what an environment scores.

    Args:
        inputs: the environment's input distribution.
        space: ``darts`` or ``nb201`` (for the NAT transitions).
    """

    def __init__(self, inputs: Sampler, space: str) -> None:
        self.inputs = inputs
        self.rules = _transitions.get("nat", space)

    def sample(self, rng: np.random.Generator) -> Genotype:
        """One genotype."""
        beta = self.inputs.sample(rng)
        if rng.random() < 0.5:
            return beta
        action = _transitions.random_legal_action(self.rules.mask(beta), rng)
        return self.rules.apply(beta, action)


class UniqueSampler:
    """Uniform over the functions of connected NAS-Bench-201 cells, a uniform spelling of each."""

    def __init__(self) -> None:
        classes = computation_classes()
        connected = np.flatnonzero(classes >= 0)
        order = np.argsort(classes[connected], kind="stable")
        self._codes = connected[order]
        self._starts = np.searchsorted(classes[self._codes], np.arange(int(classes.max()) + 2))

    def sample(self, rng: np.random.Generator) -> Genotype:
        """One cell."""
        k = int(rng.integers(len(self._starts) - 1))
        start, stop = int(self._starts[k]), int(self._starts[k + 1])
        return genotype_of_code(int(self._codes[start + int(rng.integers(stop - start))]))


def sampler_of(config: Any, supernet_config: Any) -> Sampler:
    """The training distribution a :class:`~nat_env.supernet.training.TrainingConfig` names, for a
    supernet of a :class:`~nat_env.supernet.model.SupernetConfig`."""
    return make_sampler(
        config.sampler,
        supernet_config.space,
        supernet_config.n_nodes,
        supernet_config.vocabulary,
        config.null_prob,
        config.skip_prob,
    )


def make_sampler(
    name: str, space: str, n_nodes: int, vocabulary: str, null_prob: float, skip_prob: float
) -> Sampler:
    """The training distribution called ``name`` (see the module docstring).

    Raises:
        ValueError: for an unknown name, or ``unique`` outside the NAS-Bench-201 space.
    """
    if name == "mixture":
        return MixtureSampler.warmup(space, n_nodes, vocabulary, null_prob, skip_prob)
    if name == "visits":
        inputs: Sampler = (
            CodeSampler() if space == "nb201" else GenotypeSampler(n_nodes=n_nodes, vocabulary=vocabulary)
        )
        return VisitsSampler(inputs, space)
    if name == "unique":
        if space != "nb201":
            raise ValueError("the 'unique' training distribution is defined on NAS-Bench-201 cells only")
        return UniqueSampler()
    raise ValueError(f"unknown sampler {name!r}; use one of {', '.join(SAMPLERS)}")
