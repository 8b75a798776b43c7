"""LSTM controller policy: reads the cell as a sequence of edges, as NAS controllers do.

The NAT paper compares its GCN with an LSTM controller (Guo et al., 2019, Table 3). This one reads the
edges in action order, each as (op, source node, target node, cell), and emits each edge's choices
from the hidden state after reading that edge.
"""

from __future__ import annotations

import torch as th
from torch import nn

from agents.policies.base import EdgeNetwork, EdgePolicy, GraphShape, mlp
from agents.policies.inputs import GraphBatch


class LSTMNetwork(EdgeNetwork):
    r"""A one-directional LSTM over the edges.

    .. math::
        x_e = [\mathrm{emb}(o_e) \,\|\, \mathrm{emb}_s(u_e) \,\|\, \mathrm{emb}_t(v_e) \,\|\,
               \mathrm{emb}(c_e)],\quad h_e = \mathrm{LSTM}(x_e, h_{e-1}),\quad z_e = W h_e

    Edge ``e`` sees its own op and every earlier edge, never a later one (the controller's reading
    order). The value is a linear function of the last hidden state.

    Args:
        shape: the layout's sizes.
        hidden_dim: LSTM width.
        embed_dim: width of each embedding.

    Shapes:
        input: a :class:`GraphBatch`; output: logits ``(B, E, K)``, values ``(B, 1)``.
    """

    def __init__(self, shape: GraphShape, hidden_dim: int = 64, embed_dim: int = 32) -> None:
        super().__init__(shape)
        self.op_embedding = nn.Embedding(shape.n_ops, embed_dim)
        self.source_embedding = nn.Embedding(shape.n_nodes, embed_dim)
        self.target_embedding = nn.Embedding(shape.n_nodes, embed_dim)
        self.cell_embedding = nn.Embedding(max(shape.n_cells, 2), embed_dim)
        self.lstm = nn.LSTM(4 * embed_dim, hidden_dim, batch_first=True)
        self.edge_head = mlp([hidden_dim, shape.n_choices], output_gain=0.01)
        self.value_head = nn.Linear(hidden_dim, 1)

    def forward(self, graph: GraphBatch) -> tuple[th.Tensor, th.Tensor]:
        x = th.cat(
            [
                self.op_embedding(graph.edge_op),
                self.source_embedding(graph.edge_index[..., 0]),
                self.target_embedding(graph.edge_index[..., 1]),
                self.cell_embedding(graph.edge_cell),
            ],
            -1,
        )
        hidden, _ = self.lstm(x)
        return self.edge_head(hidden), self.value_head(hidden[:, -1])


class LSTMPolicy(EdgePolicy):
    """:class:`EdgePolicy` with an :class:`LSTMNetwork`; ``network_kwargs``: ``hidden_dim``,
    ``embed_dim``."""

    network_class = LSTMNetwork
