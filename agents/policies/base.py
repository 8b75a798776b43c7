"""Edge policies: SB3 actor-critic policies whose logits come from a network over the cell graph.

SB3's ``ActorCriticPolicy`` maps a flat feature vector to flat logits with one linear layer. A
transformation policy instead scores every edge of the input genotype, so :class:`EdgePolicy`
replaces the MLP extractor and ``action_net`` with an :class:`EdgeNetwork` that returns per-edge
logits and a value, and flattens the logits edge-major into SB3's MultiDiscrete layout.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from typing import Any, ClassVar, NamedTuple

import numpy as np
import torch as th
from gymnasium import spaces
from stable_baselines3.common.distributions import Distribution
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.type_aliases import PyTorchObs, Schedule
from torch import nn

from agents.policies.distribution import EdgeCategorical
from agents.policies.inputs import GraphBatch, graph_batch, mask_logits

OBSERVATION_KEYS = ("action_mask", "adjacency", "edge_cell", "edge_index", "edge_op", "node_features")


class GraphShape(NamedTuple):
    """Static sizes of one observation/action layout.

    Attributes:
        n_nodes: graph nodes ``N`` (all cells, output nodes included).
        n_edges: edges ``E`` (the action's length).
        n_choices: choices per edge ``K`` (3 for NAT, 13 for NAT++).
        n_node_features: node feature width ``F``.
        n_ops: op vocabulary size (ids in ``edge_op`` lie in ``0 .. n_ops - 1``).
        n_cells: cells (2 for DARTS-style genotypes, 1 for NAS-Bench-201).
    """

    n_nodes: int
    n_edges: int
    n_choices: int
    n_node_features: int
    n_ops: int
    n_cells: int

    @classmethod
    def from_spaces(cls, observation_space: spaces.Space[Any], action_space: spaces.Space[Any]) -> GraphShape:
        """Read the sizes from an environment's spaces (see :mod:`nat_env.encoding`).

        Raises:
            ValueError: if the spaces are not a graph Dict and a MultiDiscrete with one ``K``.
        """
        if not isinstance(observation_space, spaces.Dict) or set(observation_space.spaces) != set(
            OBSERVATION_KEYS
        ):
            raise ValueError(f"edge policies need a Dict observation with keys {OBSERVATION_KEYS}")
        if not isinstance(action_space, spaces.MultiDiscrete) or len(set(action_space.nvec.tolist())) != 1:
            raise ValueError("edge policies need a MultiDiscrete([K] * E) action space")
        nodes = observation_space["node_features"]
        edge_op, edge_cell = observation_space["edge_op"], observation_space["edge_cell"]
        assert isinstance(nodes, spaces.Box)
        assert isinstance(edge_op, spaces.Box)
        assert isinstance(edge_cell, spaces.Box)
        return cls(
            n_nodes=int(nodes.shape[0]),
            n_edges=len(action_space.nvec),
            n_choices=int(action_space.nvec[0]),
            n_node_features=int(nodes.shape[1]),
            n_ops=int(np.max(edge_op.high)) + 1,
            n_cells=int(np.max(edge_cell.high)) + 1,
        )


class EdgeNetwork(nn.Module, ABC):
    """A network that scores every edge's choices and values the whole genotype.

    Args:
        shape: the layout's sizes.
    """

    def __init__(self, shape: GraphShape) -> None:
        super().__init__()
        self.shape = shape

    @abstractmethod
    def forward(self, graph: GraphBatch) -> tuple[th.Tensor, th.Tensor]:
        """Unmasked logits and values.

        Shapes:
            returns logits ``(B, E, K)`` and values ``(B, 1)``.
        """


def edge_outputs(network: EdgeNetwork, obs: PyTorchObs, use_mask: bool) -> tuple[th.Tensor, th.Tensor]:
    """Flat (edge-major) logits, masked by ``obs["action_mask"]`` if asked, and values.

    Shapes:
        returns logits ``(B, E * K)`` and values ``(B, 1)``.
    """
    assert isinstance(obs, dict)
    graph = graph_batch(obs, network.shape.n_edges)
    logits, values = network(graph)
    if use_mask:
        logits = mask_logits(logits, graph.action_mask)
    return logits.flatten(1), values


class EdgeNetworkPolicy(BasePolicy):
    """What :class:`EdgePolicy` and MaskablePPO's edge policies share: an :class:`EdgeNetwork` in place of
    SB3's MLP extractor and heads (built with its optimizer in ``_build``), and the value from it.

    Subclasses list it before an SB3 actor-critic policy class, whose ``__init__`` it calls.
    """

    network_class: ClassVar[type[EdgeNetwork]]

    def __init__(
        self,
        observation_space: spaces.Space[Any],
        action_space: spaces.Space[Any],
        lr_schedule: Schedule,
        network_kwargs: dict[str, Any] | None = None,
        mask_logits: bool = True,
        **kwargs: Any,
    ) -> None:
        self.graph_shape = GraphShape.from_spaces(observation_space, action_space)
        self.network_kwargs = dict(network_kwargs or {})
        self.mask_logits = mask_logits
        super().__init__(observation_space, action_space, lr_schedule, **kwargs)

    def _build(self, lr_schedule: Schedule) -> None:
        self.network = self.network_class(self.graph_shape, **self.network_kwargs)
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1), **self.optimizer_kwargs)  # type: ignore[call-arg]

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(network_kwargs=self.network_kwargs, mask_logits=self.mask_logits)
        return data

    def predict_values(self, obs: PyTorchObs) -> th.Tensor:
        return edge_outputs(self.network, obs, self.mask_logits)[1]


class EdgePolicy(EdgeNetworkPolicy, ActorCriticPolicy):
    """An actor-critic policy over the cell graph, for PPO, A2C and :class:`agents.REINFORCE`.

    Subclasses set :attr:`network_class`. The observation must be the Dict of
    :mod:`nat_env.encoding`; the action ``MultiDiscrete([K] * E)``, drawn from an
    :class:`~agents.policies.distribution.EdgeCategorical`. With ``mask_logits`` (default),
    illegal choices get a logit of -1e8, so sampling and the argmax (``predict(...,
    deterministic=True)``) only ever return legal actions, whatever the algorithm.

    Args:
        observation_space: the environment's observation space.
        action_space: the environment's action space.
        lr_schedule: learning-rate schedule (passed by the algorithm).
        network_kwargs: keyword arguments of :attr:`network_class` (sizes, layers).
        mask_logits: whether to mask illegal choices with ``obs["action_mask"]``.
        **kwargs: the remaining ``ActorCriticPolicy`` arguments (``optimizer_class``,
            ``optimizer_kwargs``...); ``net_arch``, ``activation_fn`` and ``ortho_init`` are unused
            (the network defines its own layers and initialisation).
    """

    def _build(self, lr_schedule: Schedule) -> None:
        super()._build(lr_schedule)
        self.action_dist = EdgeCategorical(self.graph_shape.n_edges, self.graph_shape.n_choices)

    def _distribution(self, logits: th.Tensor) -> EdgeCategorical:
        assert isinstance(self.action_dist, EdgeCategorical)
        return self.action_dist.proba_distribution(logits)

    def forward(self, obs: PyTorchObs, deterministic: bool = False) -> tuple[th.Tensor, th.Tensor, th.Tensor]:
        logits, values = edge_outputs(self.network, obs, self.mask_logits)
        distribution = self._distribution(logits)
        actions = distribution.get_actions(deterministic=deterministic)
        return actions, values, distribution.log_prob(actions)

    def evaluate_actions(
        self, obs: PyTorchObs, actions: th.Tensor
    ) -> tuple[th.Tensor, th.Tensor, th.Tensor | None]:
        logits, values = edge_outputs(self.network, obs, self.mask_logits)
        distribution = self._distribution(logits)
        return values, distribution.log_prob(actions), distribution.entropy()

    def get_distribution(self, obs: PyTorchObs) -> Distribution:
        return self._distribution(edge_outputs(self.network, obs, self.mask_logits)[0])

    def _predict(self, observation: PyTorchObs, deterministic: bool = False) -> th.Tensor:
        return self.get_distribution(observation).get_actions(deterministic=deterministic)


def mlp(sizes: list[int], output_gain: float = 1.0) -> nn.Sequential:
    """Linear layers with ReLUs between them; the last layer's weights scaled by ``output_gain``.

    A small ``output_gain`` (0.01, as SB3 uses for ``action_net``) starts the policy near uniform over
    the legal choices.
    """
    layers: list[nn.Module] = []
    for index, (a, b) in enumerate(itertools.pairwise(sizes)):
        layers.append(nn.Linear(a, b))
        if index < len(sizes) - 2:
            layers.append(nn.ReLU())
    last = layers[-1]
    assert isinstance(last, nn.Linear)
    with th.no_grad():
        last.weight.mul_(output_gain)
        last.bias.zero_()
    return nn.Sequential(*layers)
