"""Many NAS-Bench-201 episodes at once: NAT rewrites, rewards and observations as numpy array operations.

This is the vectorised path of the exact-reward environments: one table lookup serves every episode of
a batch. Cells are held as op-id arrays (ids of :data:`nat_env.ops.NB201_OPS`, edge order 0→1, 0→2,
1→2, 0→3, 1→3, 2→3) and encoded exactly as :class:`nat_env.encoding.GraphEncoder` encodes genotypes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from nat_env import ops as _ops
from nat_env import transitions as _transitions
from nat_env.encoding import OP_IDS, GraphEncoder, Observation
from nat_env.genotypes import Genotype, nb201_cell
from nat_env.nb201.table import N_CELLS as N_CELLS  # the cell code is sum(op_id[e] * 5**e)
from nat_env.nb201.table import N_EDGES as N_EDGES
from nat_env.nb201.table import PLACES as PLACES

N_OPS = len(_ops.NB201_OPS)

_NONE, _SKIP = _ops.NB201_OPS.index("none"), _ops.NB201_OPS.index("skip_connect")
_TO_ALL_OPS = np.array([OP_IDS[op] for op in _ops.NB201_OPS], np.int64)
_SOURCES = np.array([0, 0, 1, 0, 1, 2])
_TARGETS = np.array([1, 2, 2, 3, 3, 3])


def codes_of(ops: npt.NDArray[np.integer]) -> npt.NDArray[np.int64]:
    """Cell codes of op-id arrays. Shapes: ``(..., 6)`` → ``(...)``."""
    return np.asarray(ops, np.int64) @ PLACES


def ops_of(codes: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Op-id arrays of cell codes. Shapes: ``(...)`` → ``(..., 6)``."""
    return (np.asarray(codes, np.int64)[..., None] // PLACES) % N_OPS


def genotype_of(op_ids: npt.ArrayLike) -> Genotype:
    """The genotype of one op-id array."""
    return Genotype(nb201_cell([_ops.NB201_OPS[int(i)] for i in np.asarray(op_ids)]))


def op_ids(genotype: Genotype) -> npt.NDArray[np.int64]:
    """The op-id array of one NAS-Bench-201 genotype."""
    if genotype.space != "nb201":
        raise ValueError("expected a NAS-Bench-201 genotype")
    return np.array([_ops.NB201_OPS.index(op) for op in genotype.ops], np.int64)


def nat_apply(ops: npt.NDArray[np.int64], actions: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """NAT's rewrite of many cells; an illegal "keep" on a skip or null edge keeps it, as the env does.

    Shapes: ``ops (B, 6)``, ``actions (B, 6)`` → ``(B, 6)``.

    Raises:
        ValueError: on a wrong shape or a value outside 0..2.
    """
    actions = np.asarray(actions)
    if actions.shape != ops.shape:
        raise ValueError(f"actions must have shape {ops.shape}, got {actions.shape}")
    if actions.size and (actions.min() < 0 or actions.max() > _transitions.NULL):
        raise ValueError("action values must lie in 0..2")
    return np.where(actions == _transitions.KEEP, ops, np.where(actions == _transitions.SKIP, _SKIP, _NONE))


def nat_masks(ops: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """NAT legality per edge and choice. Shapes: ``(B, 6)`` → ``(B, 6, 3)``."""
    masks = np.ones((*ops.shape, 3), bool)
    masks[..., _transitions.KEEP] = ops > _SKIP
    return masks


def live_nodes(ops: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether each node carries a signal (see :meth:`Cell.live_nodes`). Shapes: ``(B, 6)`` → ``(B, 4)``."""
    on = ops != _NONE
    live = np.zeros((ops.shape[0], 4), bool)
    live[:, 0] = True
    for edge, (source, target) in enumerate(zip(_SOURCES, _TARGETS, strict=True)):
        live[:, target] |= live[:, source] & on[:, edge]
    return live


class BatchEncoder:
    """Encodes op-id arrays into stacked observations, identical to :class:`GraphEncoder`'s.

    Args:
        encoder: the single-cell encoder whose layout and NAT mask the batch reproduces.
    """

    def __init__(self, encoder: GraphEncoder) -> None:
        if encoder.space != "nb201" or encoder.transitions.name != "nat":
            raise ValueError("the batched path covers NAS-Bench-201 cells under NAT transitions")
        self.encoder = encoder
        self._template = encoder.encode(genotype_of(np.full(N_EDGES, _SKIP)))

    def encode(self, ops: npt.NDArray[np.int64]) -> Observation:
        """Stacked observations. Shapes: ``ops (B, 6)`` → each array gains a leading ``B``."""
        batch = ops.shape[0]
        observation = {key: np.repeat(value[None], batch, axis=0) for key, value in self._template.items()}
        live = live_nodes(ops)
        features = observation["node_features"]
        features[:, :4, 5] = live
        features[:, 4, 5] = live[:, 3]
        observation["edge_op"] = _TO_ALL_OPS[ops]
        observation["action_mask"] = nat_masks(ops).reshape(batch, -1).astype(np.int8)
        return observation
