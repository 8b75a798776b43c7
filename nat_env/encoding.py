"""Observation encoding: a genotype as a Dict of fixed-shape numpy arrays (a padded graph).

Gymnasium's ``Graph`` space does not work with Stable-Baselines3, so the cell graph travels as Boxes.
Each cell contributes its input nodes, its intermediate nodes and one output node that concatenates
the ``concat`` nodes; cells are laid out one after another (normal first), so node ids are global.

Shapes (``N`` nodes, ``E`` edges, ``K`` choices per edge, ``F`` = :data:`NODE_FEATURES`):
    * ``node_features``: ``(N, F)`` float32; one-hot role (input, intermediate, output), one-hot cell
      (normal, reduce), and whether the node is live (see :meth:`Cell.live_nodes`).
    * ``adjacency``: ``(N, N)`` float32; ``adjacency[i, j] = 1`` for an edge ``i → j`` (whatever its
      op, null included) and for a concat node ``i`` feeding the output node ``j``.
    * ``edge_op``: ``(E,)`` int64; op id per edge, an index into :data:`nat_env.ops.ALL_OPS`.
    * ``edge_index``: ``(E, 2)`` int64; global (source, target) node ids per edge.
    * ``edge_cell``: ``(E,)`` int64; 0 for the normal cell, 1 for the reduction cell.
    * ``action_mask``: ``(E * K,)`` int8; the legal choices, edge-major (``mask[e * K + k]``), the
      layout of SB3's flat MultiDiscrete logits.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from nat_env import ops as _ops
from nat_env.genotypes import NB201_NODES, Genotype
from nat_env.transitions import Transitions

NODE_FEATURES = 6
MEMO_SIZE = 16384
"""Encodings kept per process (NAS-Bench-201 has 15,625 cells: all of them fit)."""
OP_IDS: dict[str, int] = {op: index for index, op in enumerate(_ops.ALL_OPS)}

Observation = dict[str, npt.NDArray[np.generic]]


class Encoder(Protocol):
    """What an environment needs of an encoder: its space, a shape check and the encoding of a genotype.

    :class:`GraphEncoder` computes observations; :class:`nat_env.nb201.lookup.TableEncoder` reads the
    same ones from per-cell tables.
    """

    @property
    def n_edges(self) -> int:
        """Edges (and action entries) in all cells."""
        ...

    def observation_space(self) -> spaces.Dict:
        """The Gymnasium space of :meth:`encode`'s output."""
        ...

    def check(self, genotype: Genotype) -> None:
        """Raise ``ValueError`` unless the genotype has this encoder's shape."""
        ...

    def encode(self, genotype: Genotype) -> Observation:
        """The observation of a genotype (fresh arrays on every call)."""
        ...


@dataclass(frozen=True, eq=False)
class GraphEncoder:
    """Encodes genotypes of one shape for one set of transitions.

    Args:
        transitions: the transitions whose mask the observation carries.
        space: ``darts`` or ``nb201``.
        n_nodes: intermediate nodes per DARTS cell (ignored for NAS-Bench-201).
    """

    transitions: Transitions
    space: str = "darts"
    n_nodes: int = 4

    @property
    def cell_layout(self) -> tuple[int, int, int]:
        """(cells, nodes per cell including the output node, edges per cell)."""
        if self.space == "nb201":
            return 1, NB201_NODES + 1, NB201_NODES * (NB201_NODES - 1) // 2
        return 2, 2 + self.n_nodes + 1, 2 * self.n_nodes

    @property
    def n_edges(self) -> int:
        """Edges (and action entries) in all cells."""
        cells, _, edges = self.cell_layout
        return cells * edges

    @property
    def n_graph_nodes(self) -> int:
        """Nodes in all cells, output nodes included."""
        cells, nodes, _ = self.cell_layout
        return cells * nodes

    def observation_space(self) -> spaces.Dict:
        """The Gymnasium space of :meth:`encode`'s output."""
        n, e, k = self.n_graph_nodes, self.n_edges, self.transitions.n_choices
        return spaces.Dict(
            {
                "node_features": spaces.Box(0.0, 1.0, (n, NODE_FEATURES), np.float32),
                "adjacency": spaces.Box(0.0, 1.0, (n, n), np.float32),
                "edge_op": spaces.Box(0, len(_ops.ALL_OPS) - 1, (e,), np.int64),
                "edge_index": spaces.Box(0, n - 1, (e, 2), np.int64),
                "edge_cell": spaces.Box(0, 1, (e,), np.int64),
                "action_mask": spaces.Box(0, 1, (e * k,), np.int8),
            }
        )

    def check(self, genotype: Genotype) -> None:
        """Raise ``ValueError`` unless the genotype has this encoder's shape."""
        cells, nodes, edges = self.cell_layout
        shape = [(len(c.edges), c.n_nodes + 1) for c in genotype.cells]
        if genotype.space != self.space or shape != [(edges, nodes)] * cells:
            raise ValueError(
                f"genotype does not fit this {self.space} encoder ({cells} cell(s) of {edges} edges, "
                f"{nodes - 1} nodes): got {genotype.space} cells of (edges, nodes) {shape}"
            )

    def encode(self, genotype: Genotype) -> Observation:
        """The observation of a genotype (fresh arrays on every call; encodings are memoised)."""
        return {key: value.copy() for key, value in _encode_memo(self, genotype).items()}

    def _encode(self, genotype: Genotype) -> Observation:
        self.check(genotype)
        _, nodes_per_cell, _ = self.cell_layout
        n = self.n_graph_nodes
        features = np.zeros((n, NODE_FEATURES), np.float32)
        adjacency = np.zeros((n, n), np.float32)
        edge_index = np.zeros((self.n_edges, 2), np.int64)
        edge_cell = np.zeros(self.n_edges, np.int64)
        row = 0
        for cell_id, cell in enumerate(genotype.cells):
            offset = cell_id * nodes_per_cell
            output = offset + nodes_per_cell - 1
            live = cell.live_nodes()
            for node in range(nodes_per_cell - 1):
                role = 0 if node < cell.n_inputs else 1
                features[offset + node, role] = 1.0
                features[offset + node, 5] = float(node in live)
            features[output, 2] = 1.0
            features[output, 5] = float(cell.is_connected)
            features[offset : offset + nodes_per_cell, 3 + cell_id] = 1.0
            for edge in cell.edges:
                source, target = offset + edge.source, offset + edge.target
                adjacency[source, target] = 1.0
                edge_index[row] = (source, target)
                edge_cell[row] = cell_id
                row += 1
            for node in cell.concat:
                adjacency[offset + node, output] = 1.0
        mask = self.transitions.mask(genotype).astype(np.int8).reshape(-1)
        return {
            "node_features": features,
            "adjacency": adjacency,
            "edge_op": np.array([OP_IDS[op] for op in genotype.ops], np.int64),
            "edge_index": edge_index,
            "edge_cell": edge_cell,
            "action_mask": mask,
        }


@lru_cache(maxsize=MEMO_SIZE)
def _encode_memo(encoder: GraphEncoder, genotype: Genotype) -> Observation:
    return encoder._encode(genotype)
