"""Policy inputs: SB3's observation tensors as a typed graph batch, and logit masking.

SB3 hands policies the observation Dict of :mod:`nat_env.encoding` as float tensors (the rollout
buffer stores every key as float32), so integer fields are rounded back to ``long`` here.
"""

from __future__ import annotations

from typing import NamedTuple

import torch as th

HUGE_NEGATIVE = -1e8
"""The logit given to illegal choices (as sb3-contrib's masked distributions do)."""


class GraphBatch(NamedTuple):
    """A batch of encoded genotypes.

    Shapes (``B`` batch, ``N`` graph nodes, ``E`` edges, ``K`` choices per edge, ``F`` node features):
        * ``node_features``: ``(B, N, F)`` float.
        * ``adjacency``: ``(B, N, N)`` float, ``adjacency[b, i, j] = 1`` for an edge ``i → j``.
        * ``edge_op``: ``(B, E)`` long, ids into :data:`nat_env.ops.ALL_OPS`.
        * ``edge_index``: ``(B, E, 2)`` long, global (source, target) node ids.
        * ``edge_cell``: ``(B, E)`` long, 0 normal, 1 reduction.
        * ``action_mask``: ``(B, E, K)`` bool, the legal choices.
    """

    node_features: th.Tensor
    adjacency: th.Tensor
    edge_op: th.Tensor
    edge_index: th.Tensor
    edge_cell: th.Tensor
    action_mask: th.Tensor

    @property
    def n_edges(self) -> int:
        """``E``."""
        return int(self.edge_op.shape[1])

    @property
    def n_nodes(self) -> int:
        """``N``."""
        return int(self.node_features.shape[1])


def _long(tensor: th.Tensor) -> th.Tensor:
    return tensor if tensor.dtype == th.long else th.round(tensor.float()).long()


def graph_batch(obs: dict[str, th.Tensor] | th.Tensor, n_edges: int) -> GraphBatch:
    """Read an SB3 observation Dict (batched tensors) as a :class:`GraphBatch`.

    Args:
        obs: the Dict of tensors SB3 passes to a policy, with a leading batch dimension.
        n_edges: ``E`` (the action's length), to shape the flat mask ``(B, E * K)`` as ``(B, E, K)``.

    Raises:
        TypeError: if the observation is not a Dict (the policy needs the graph encoding).
    """
    if not isinstance(obs, dict):
        raise TypeError("edge policies need the Dict observation of nat_env.encoding")
    mask = obs["action_mask"]
    batch = mask.shape[0]
    return GraphBatch(
        node_features=obs["node_features"].float(),
        adjacency=obs["adjacency"].float(),
        edge_op=_long(obs["edge_op"]).reshape(batch, n_edges),
        edge_index=_long(obs["edge_index"]).reshape(batch, n_edges, 2),
        edge_cell=_long(obs["edge_cell"]).reshape(batch, n_edges),
        action_mask=(mask.float() > 0.5).reshape(batch, n_edges, -1),
    )


def mask_logits(logits: th.Tensor, mask: th.Tensor) -> th.Tensor:
    """Give illegal choices a logit of :data:`HUGE_NEGATIVE` (probability zero after the softmax).

    Shapes:
        logits and mask: ``(B, E, K)``; returns ``(B, E, K)``.
    """
    return th.where(mask, logits, th.full_like(logits, HUGE_NEGATIVE))


def gather_nodes(nodes: th.Tensor, index: th.Tensor) -> th.Tensor:
    """Per-edge rows of a node tensor.

    Shapes:
        nodes: ``(B, N, D)``; index: ``(B, E)`` node ids; returns ``(B, E, D)``.
    """
    return th.gather(nodes, 1, index.unsqueeze(-1).expand(-1, -1, nodes.shape[-1]))
