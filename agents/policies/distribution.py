"""One categorical per edge, computed on a single ``(B, E, K)`` tensor.

SB3's :class:`~stable_baselines3.common.distributions.MultiCategoricalDistribution` splits the flat
logits into ``E`` torch ``Categorical`` objects, each validating its arguments, and loops over them to
sample, score and take entropies. An edge policy's ``E`` edges all have ``K`` choices, so the same
quantities are one ``log_softmax``, one ``gather`` and one ``multinomial`` over the whole batch: on a
one-graph forward of the NAS-Bench-201 GCN this removes most of the time spent outside the network
(``benchmarks/learner_speed.py`` records the forward times).
"""

from __future__ import annotations

import torch as th
from stable_baselines3.common.distributions import MultiCategoricalDistribution


class EdgeCategorical(MultiCategoricalDistribution):
    """SB3's multi-categorical distribution over ``E`` edges with ``K`` choices each, batched.

    Same interface, values and action layout as its parent (actions ``(B, E)`` long, log-probabilities
    and entropies summed over edges); illegal choices with a logit of -1e8 get probability zero and add
    nothing to the entropy.

    Args:
        n_edges: ``E``.
        n_choices: ``K``.
    """

    def __init__(self, n_edges: int, n_choices: int) -> None:
        super().__init__([n_choices] * n_edges)
        self.n_edges, self.n_choices = n_edges, n_choices
        self.log_probs = th.empty(0)
        """Normalised log-probabilities of the last :meth:`proba_distribution`, ``(B, E, K)``."""

    def proba_distribution(self, action_logits: th.Tensor) -> EdgeCategorical:
        """Set the logits, flat edge-major ``(B, E * K)`` or ``(B, E, K)``."""
        self.log_probs = th.log_softmax(action_logits.reshape(-1, self.n_edges, self.n_choices), -1)
        return self

    def log_prob(self, actions: th.Tensor) -> th.Tensor:
        """Log-probability of whole actions. Shapes: ``(B, E)`` → ``(B,)``."""
        index = actions.long().reshape(-1, self.n_edges, 1)
        return self.log_probs.gather(-1, index).squeeze(-1).sum(-1)

    def entropy(self) -> th.Tensor:
        """Entropy of whole actions (the sum over edges). Shapes: ``(B,)``."""
        return -(self.log_probs.exp() * self.log_probs).sum((-2, -1))

    def sample(self) -> th.Tensor:
        """One action per row, ``(B, E)`` long."""
        probs = self.log_probs.exp().reshape(-1, self.n_choices)
        return th.multinomial(probs, 1).reshape(-1, self.n_edges)

    def mode(self) -> th.Tensor:
        """The most likely choice of every edge, ``(B, E)`` long."""
        return self.log_probs.argmax(-1)
