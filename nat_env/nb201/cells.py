"""NAS-Bench-201 cells as numbers: op-id arrays and integer codes, to and from genotypes.

This is the one home of the conversion between a NAS-Bench-201 :class:`~nat_env.genotypes.Genotype`
and its array forms, which the table, the exact evaluator, the oracle and the vectorised environment all
index by. A cell is six op ids (ids of :data:`nat_env.ops.NB201_OPS`; edge order 0→1, 0→2, 1→2, 0→3,
1→3, 2→3); its *code* is ``sum(op_id[e] * 5**e)``, a dense key in ``0 .. 5**6 - 1``. The array
functions take any leading batch shape, so many cells are converted or checked with a few numpy
operations (:mod:`nat_env.nb201.lookup` rewrites them).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from nat_env import ops as _ops
from nat_env.genotypes import Genotype, nb201_cell

N_EDGES = 6
"""Edges of a NAS-Bench-201 cell."""
N_OPS = len(_ops.NB201_OPS)
"""Ops of the NAS-Bench-201 vocabulary (``none`` included)."""
N_CELLS: int = N_OPS**N_EDGES
"""Cells of the space (15,625), the range of the codes."""
PLACES = N_OPS ** np.arange(N_EDGES, dtype=np.int64)
"""Place values of the base-5 cell code: ``code = ops @ PLACES``."""
SOURCES = np.array([0, 0, 1, 0, 1, 2])
"""Source node of each edge."""
TARGETS = np.array([1, 2, 2, 3, 3, 3])
"""Target node of each edge."""
NONE, SKIP = _ops.NB201_OPS.index("none"), _ops.NB201_OPS.index("skip_connect")
"""Op ids of the null op and the skip connection (every larger id is an op with compute)."""

_SPELLING = tuple(_ops.NB201_NAMES.get(op, op) for op in _ops.NB201_OPS)
_ARCH_FORMAT = "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|"


def codes_of(ops: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Cell codes of op-id arrays. Shapes: ``(..., 6)`` → ``(...)``."""
    return np.asarray(ops, np.int64) @ PLACES


def ops_of(codes: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Op-id arrays of cell codes. Shapes: ``(...)`` → ``(..., 6)``."""
    return (np.asarray(codes, np.int64)[..., None] // PLACES) % N_OPS


def op_ids(genotype: Genotype) -> npt.NDArray[np.int64]:
    """The op-id array of one NAS-Bench-201 genotype.

    Raises:
        ValueError: for a genotype of another space or with an op outside the NAS-Bench-201 vocabulary.
    """
    if genotype.space != "nb201":
        raise ValueError(f"expected a NAS-Bench-201 genotype, got one of the {genotype.space!r} space")
    _ops.check_vocabulary(genotype.ops, "nb201")
    return np.array([_ops.NB201_OPS.index(op) for op in genotype.ops], np.int64)


def code_of(genotype: Genotype) -> int:
    """The code ``sum(op_id[e] * 5**e)`` of a NAS-Bench-201 genotype (raises as :func:`op_ids`).

    A genotype that :func:`genotype_of_code` gave is looked up, not read (the exact environments
    ask for the code of each β and α several times a step).
    """
    code = decoded_code(genotype)
    return int(codes_of(op_ids(genotype))) if code is None else code


def decoded_code(genotype: Genotype) -> int | None:
    """The code of a genotype that :func:`genotype_of_code` gave (so a valid cell), else ``None``."""
    code = _CODES.get(id(genotype))
    return code if code is not None and _DECODED[code] is genotype else None


def genotype_of(ops: npt.ArrayLike) -> Genotype:
    """The genotype of one op-id array."""
    return Genotype(nb201_cell([_ops.NB201_OPS[int(i)] for i in np.asarray(ops)]))


def genotype_of_code(code: int) -> Genotype:
    """The genotype of a cell code (the inverse of :func:`code_of`; decoded once per process, genotypes
    are immutable).

    Raises:
        ValueError: for a code outside ``0 .. 5**6 - 1``.
    """
    if not 0 <= code < N_CELLS:
        raise ValueError(f"cell code {code} outside 0..{N_CELLS - 1}")
    genotype = _DECODED[code]
    if genotype is None:
        genotype = _DECODED[code] = genotype_of(ops_of(code))
        _CODES[id(genotype)] = code
    return genotype


_DECODED: list[Genotype | None] = [None] * N_CELLS
"""The genotype of each code that :func:`genotype_of_code` decoded (held, so the ids below stay theirs)."""
_CODES: dict[int, int] = {}
"""The code of each decoded genotype, by object id."""


def arch_str(ops: Iterable[int]) -> str:
    """The NAS-Bench-201 string of op ids, e.g. ``|nor_conv_3x3~0|+|none~0|...|``."""
    return _ARCH_FORMAT.format(*(_SPELLING[op] for op in ops))


def live_nodes(ops: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """Whether each node carries a signal (see :meth:`Cell.live_nodes`). Shapes: ``(B, 6)`` → ``(B, 4)``."""
    on = ops != NONE
    live = np.zeros((ops.shape[0], 4), bool)
    live[:, 0] = True
    for edge, (source, target) in enumerate(zip(SOURCES, TARGETS, strict=True)):
        live[:, target] |= live[:, source] & on[:, edge]
    return live


def computation_classes() -> npt.NDArray[np.int64]:
    """A class id per cell code: equal ids compute the same function, -1 marks disconnected cells.

    Two cells are equivalent when their output nodes compute the same expression once null edges, dead
    nodes and edges that reach no output are dropped and each node's sum is taken as an unordered
    multiset of ``op(source)`` terms; each op keeps its own weights, so this is a coarse notion (every
    edge slot of a supernet has weights of its own). Shapes: ``(5**6,)``.
    """
    return _computation_classes().copy()


@lru_cache(maxsize=1)
def _computation_classes() -> npt.NDArray[np.int64]:
    names = ("none", "skip", "conv1", "conv3", "pool")
    ids: dict[str, int] = {}
    classes = np.full(N_CELLS, -1, np.int64)
    for code, ops in enumerate(ops_of(np.arange(N_CELLS)).tolist()):
        expression: dict[int, str | None] = {0: "x"}
        for target in range(1, 4):
            terms = [
                f"{names[op]}({expression[source]})"
                for op, source, to in zip(ops, SOURCES, TARGETS, strict=True)
                if to == target and op != NONE and expression.get(source) is not None
            ]
            expression[target] = "(" + "+".join(sorted(terms)) + ")" if terms else None
        output = expression[3]
        if output is not None:
            classes[code] = ids.setdefault(output, len(ids))
    return classes
