"""GCN policies: graph convolutions over the input genotype's cells, one categorical per edge.

:class:`GCNPolicy` is this project's policy; :class:`ReferenceGCNPolicy` reproduces the NAT authors'
GCN (Guo et al., 2019, eq. 6), including its blindness to the op an edge holds (docs/background.md, mistake 1),
for ablations.
"""

from __future__ import annotations

import torch as th
from torch import nn
from torch.nn import functional as F
from torch_geometric.nn import DenseGCNConv

from agents.policies.base import EdgeNetwork, EdgePolicy, GraphShape, mlp
from agents.policies.inputs import GraphBatch, gather_nodes


def gcn_adjacency(adjacency: th.Tensor) -> th.Tensor:
    r""":math:`D^{-1/2} \hat A D^{-1/2}`, with :math:`\hat A` the adjacency with its diagonal set to 1:
    the normalisation ``DenseGCNConv`` applies on every call, computed once per forward for all layers.

    Shapes:
        adjacency: ``(B, N, N)``; returns ``(B, N, N)``.
    """
    eye = th.eye(adjacency.shape[-1], dtype=adjacency.dtype, device=adjacency.device)
    looped = adjacency * (1.0 - eye) + eye
    scale = looped.sum(-1).clamp(min=1.0).rsqrt()
    return scale.unsqueeze(-1) * looped * scale.unsqueeze(-2)


def convolve(conv: DenseGCNConv, h: th.Tensor, normalized: th.Tensor) -> th.Tensor:
    """``conv(h, adjacency)`` given the adjacency already normalised by :func:`gcn_adjacency`."""
    out = normalized @ F.linear(h, conv.lin.weight)
    return out if conv.bias is None else out + conv.bias


def incoming_mean(graph: GraphBatch, edge_values: th.Tensor) -> th.Tensor:
    """Mean over each node's incoming edges of a per-edge tensor (zeros for nodes without any).

    Shapes:
        edge_values: ``(B, E, D)``; returns ``(B, N, D)``.
    """
    targets = F.one_hot(graph.edge_index[..., 1], graph.n_nodes).to(edge_values.dtype)  # (B, E, N)
    total = targets.transpose(1, 2) @ edge_values
    return total / targets.sum(1).clamp(min=1.0).unsqueeze(-1)


class GCNNetwork(EdgeNetwork):
    r"""Directed graph convolutions with self-loops and symmetric normalisation, and an edge head.

    Node inputs are the encoder's node features, a learned embedding of the node's position in the
    layout (node ``i`` of every observation is the same slot of the same cell, so positions are
    meaningful; mean aggregation alone cannot tell apart nodes such as NAS-Bench-201's nodes 1 and 2)
    and the mean embedding of the ops on the node's incoming edges. Each layer convolves along the
    edges and against them as two channels, so a node hears both its predecessors and its successors without losing which is which:

    .. math::
        H^{(l+1)} = H^{(l)} + \mathrm{ReLU}\big(\hat A_{\to} H^{(l)} W_{\to}^{(l)}
                    + \hat A_{\leftarrow} H^{(l)} W_{\leftarrow}^{(l)}\big),\quad
        \hat A = D^{-1/2} (A + I) D^{-1/2}

    with :math:`A_{\to} = A^\top` (a target aggregates its sources) and :math:`A_{\leftarrow} = A`
    (``DenseGCNConv``'s weights and normalisation, the normalised adjacencies computed once per forward by
    :func:`gcn_adjacency`), each followed by a LayerNorm. The logits of edge :math:`e = (u \to v)` in
    cell :math:`c` holding op :math:`o` see the edge's own op, both endpoints, the cell type
    (docs/background.md, mistake 1) and the edge's slot in the action vector:

    .. math::
        z_e = W \,[\mathrm{emb}(o) \,\|\, h_u \,\|\, h_v \,\|\, \mathrm{emb}(c) \,\|\, \mathrm{emb}(e)]

    The head is linear on purpose: with an MLP head (or without the slot embedding) REINFORCE pushed
    every edge towards the most common good rewrite (e.g. "null everywhere") within a few updates,
    before the edges were told apart, and never recovered edge-specific rewrites on a fake task.
    The value is an MLP of the mean and max of the node embeddings.

    Args:
        shape: the layout's sizes.
        hidden_dim: node embedding width.
        op_dim: op and cell embedding width.
        n_layers: graph convolution layers.

    Shapes:
        input: a :class:`GraphBatch`; output: logits ``(B, E, K)``, values ``(B, 1)``.
    """

    def __init__(self, shape: GraphShape, hidden_dim: int = 64, op_dim: int = 32, n_layers: int = 3) -> None:
        super().__init__(shape)
        self.op_embedding = nn.Embedding(shape.n_ops, op_dim)
        self.cell_embedding = nn.Embedding(max(shape.n_cells, 2), op_dim)
        self.position_embedding = nn.Embedding(shape.n_nodes, op_dim)
        self.node_input = nn.Linear(shape.n_node_features + 2 * op_dim, hidden_dim)
        self.along = nn.ModuleList(DenseGCNConv(hidden_dim, hidden_dim) for _ in range(n_layers))
        self.against = nn.ModuleList(
            DenseGCNConv(hidden_dim, hidden_dim, bias=False) for _ in range(n_layers)
        )
        self.norms = nn.ModuleList(nn.LayerNorm(hidden_dim) for _ in range(n_layers))
        self.slot_embedding = nn.Embedding(shape.n_edges, op_dim)
        self.edge_head = mlp([3 * op_dim + 2 * hidden_dim, shape.n_choices], output_gain=0.01)
        self.value_head = mlp([2 * hidden_dim, hidden_dim, 1])

    def forward(self, graph: GraphBatch) -> tuple[th.Tensor, th.Tensor]:
        ops = self.op_embedding(graph.edge_op)
        positions = self.position_embedding.weight.expand(graph.node_features.shape[0], -1, -1)
        h = F.relu(self.node_input(th.cat([graph.node_features, positions, incoming_mean(graph, ops)], -1)))
        forwards, backwards = gcn_adjacency(graph.adjacency.transpose(1, 2)), gcn_adjacency(graph.adjacency)
        for along, against, norm in zip(self.along, self.against, self.norms, strict=True):
            h = norm(h + F.relu(convolve(along, h, forwards) + convolve(against, h, backwards)))
        edges = th.cat(
            [
                ops,
                gather_nodes(h, graph.edge_index[..., 0]),
                gather_nodes(h, graph.edge_index[..., 1]),
                self.cell_embedding(graph.edge_cell),
                self.slot_embedding.weight.expand(ops.shape[0], -1, -1),
            ],
            -1,
        )
        pooled = th.cat([h.mean(1), h.amax(1)], -1)
        return self.edge_head(edges), self.value_head(pooled)


def incoming_slot(graph: GraphBatch) -> th.Tensor:
    """Each edge's rank among its target's incoming edges (in action order).

    Shapes:
        returns ``(B, E)`` long.
    """
    targets = graph.edge_index[..., 1]
    same = targets.unsqueeze(2) == targets.unsqueeze(1)  # (B, E, E)
    earlier = th.ones_like(same[0]).tril(-1)
    return (same & earlier).sum(-1)


class ReferenceGCNNetwork(EdgeNetwork):
    r"""The NAT authors' two-layer GCN (Guo et al., 2019, eq. 6), for ablations.

    .. math::
        Z = A \,\mathrm{ReLU}(A X W_0)\, W_1 W_{fc}

    with :math:`A` the raw directed adjacency (no self-loops, no normalisation; a target aggregates its
    sources, :math:`A^\top` in the encoder's convention) and :math:`X` per node the concatenated one-hot
    ops of its incoming edges (slot ``s`` = the ``s``-th incoming edge; the authors embed DARTS' two
    slots) next to the encoder's node features. As in the authors' ``ArchPruner``, a node's output row
    holds the logits of all its incoming edges (slot ``s`` reads columns ``s K .. s K + K - 1``).

    Because there are no self-loops and the cell is a DAG, :math:`Z_v` never depends on :math:`X_v`,
    the only place the ops on :math:`v`'s incoming edges appear: an edge's decision ignores its own op
    (docs/background.md, mistake 1). The value head (mean of :math:`Z`'s hidden rows, then a linear layer) is ours;
    the authors had none.

    Args:
        shape: the layout's sizes.
        hidden_dim: width of both GCN layers.
        max_slots: most incoming edges a node may have (2 for DARTS cells, 3 for NAS-Bench-201).
    """

    def __init__(self, shape: GraphShape, hidden_dim: int = 64, max_slots: int = 3) -> None:
        super().__init__(shape)
        self.max_slots = max_slots
        self.w0 = nn.Linear(max_slots * shape.n_ops + shape.n_node_features, hidden_dim, bias=False)
        self.w1 = nn.Linear(hidden_dim, hidden_dim, bias=False)
        self.fc = mlp([hidden_dim, max_slots * shape.n_choices], output_gain=0.01)
        self.value_head = nn.Linear(hidden_dim, 1)

    def forward(self, graph: GraphBatch) -> tuple[th.Tensor, th.Tensor]:
        slot = incoming_slot(graph)
        if int(slot.max()) >= self.max_slots:
            raise ValueError(f"a node has more than max_slots={self.max_slots} incoming edges")
        n_ops, k = self.shape.n_ops, self.shape.n_choices
        slot_ops = F.one_hot(slot * n_ops + graph.edge_op, self.max_slots * n_ops).float()  # (B, E, S*ops)
        targets = F.one_hot(graph.edge_index[..., 1], graph.n_nodes).float()  # (B, E, N)
        x = th.cat([targets.transpose(1, 2) @ slot_ops, graph.node_features], -1)
        a = graph.adjacency.transpose(1, 2)
        hidden = self.w1(a @ F.relu(a @ self.w0(x)))
        z = self.fc(hidden).reshape(*hidden.shape[:2], self.max_slots, k)  # (B, N, S, K)
        rows = gather_nodes(z.flatten(2), graph.edge_index[..., 1]).reshape(*slot.shape, self.max_slots, k)
        logits = th.gather(rows, 2, slot[..., None, None].expand(-1, -1, 1, k)).squeeze(2)
        return logits, self.value_head(hidden.mean(1))


class GCNPolicy(EdgePolicy):
    """:class:`EdgePolicy` with a :class:`GCNNetwork`; ``network_kwargs``: ``hidden_dim``, ``op_dim``,
    ``n_layers``."""

    network_class = GCNNetwork


class ReferenceGCNPolicy(EdgePolicy):
    """:class:`EdgePolicy` with the authors' :class:`ReferenceGCNNetwork` (ablation); ``network_kwargs``:
    ``hidden_dim``, ``max_slots``."""

    network_class = ReferenceGCNNetwork
