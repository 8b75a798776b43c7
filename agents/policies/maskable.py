"""Edge policies for sb3-contrib's MaskablePPO (needs the ``contrib`` extra).

MaskablePPO insists on a ``MaskableActorCriticPolicy``; these classes put the same edge networks in
one. The mask MaskablePPO passes (from the env's ``action_masks()``) equals ``obs["action_mask"]``, so
applying both is harmless.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch as th
from sb3_contrib.common.maskable.distributions import (
    MaskableDistribution,
    MaskableMultiCategoricalDistribution,
)
from sb3_contrib.common.maskable.policies import MaskableActorCriticPolicy
from stable_baselines3.common.type_aliases import PyTorchObs

from agents.policies.base import EdgeNetworkPolicy, edge_outputs
from agents.policies.gcn import GCNNetwork, ReferenceGCNNetwork
from agents.policies.lstm import LSTMNetwork


class MaskableEdgePolicy(EdgeNetworkPolicy, MaskableActorCriticPolicy):
    """:class:`agents.policies.base.EdgePolicy` for MaskablePPO; same arguments."""

    def _distribution(
        self, logits: th.Tensor, action_masks: np.ndarray[Any, Any] | th.Tensor | None
    ) -> MaskableDistribution:
        assert isinstance(self.action_dist, MaskableMultiCategoricalDistribution)
        distribution = self.action_dist.proba_distribution(action_logits=logits)
        if action_masks is not None:
            distribution.apply_masking(action_masks)
        return distribution

    def forward(
        self, obs: PyTorchObs, deterministic: bool = False, action_masks: np.ndarray[Any, Any] | None = None
    ) -> tuple[th.Tensor, th.Tensor, th.Tensor]:
        logits, values = edge_outputs(self.network, obs, self.mask_logits)
        distribution = self._distribution(logits, action_masks)
        actions = distribution.get_actions(deterministic=deterministic)
        return actions, values, distribution.log_prob(actions)

    def evaluate_actions(
        self, obs: PyTorchObs, actions: th.Tensor, action_masks: th.Tensor | None = None
    ) -> tuple[th.Tensor, th.Tensor, th.Tensor | None]:
        logits, values = edge_outputs(self.network, obs, self.mask_logits)
        distribution = self._distribution(logits, action_masks)
        return values, distribution.log_prob(actions), distribution.entropy()

    def get_distribution(
        self, obs: PyTorchObs, action_masks: np.ndarray[Any, Any] | None = None
    ) -> MaskableDistribution:
        return self._distribution(edge_outputs(self.network, obs, self.mask_logits)[0], action_masks)


class MaskableGCNPolicy(MaskableEdgePolicy):
    """:class:`agents.GCNPolicy` for MaskablePPO."""

    network_class = GCNNetwork


class MaskableReferenceGCNPolicy(MaskableEdgePolicy):
    """:class:`agents.ReferenceGCNPolicy` for MaskablePPO."""

    network_class = ReferenceGCNNetwork


class MaskableLSTMPolicy(MaskableEdgePolicy):
    """:class:`agents.LSTMPolicy` for MaskablePPO."""

    network_class = LSTMNetwork
