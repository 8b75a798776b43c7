"""Op vocabularies: the names every other module uses for the primitive on an edge.

The data flow starts here: a genotype is a set of edges, each edge names an op from this table.
Canonical names follow DARTS (``none``, ``skip_connect``, ``sep_conv_3x3``, ...); the authors of NAT
write ``null`` for ``none`` and NAS-Bench-201 writes ``nor_conv_3x3`` for ``conv_3x3`` (ReLU-Conv-BN):
both are accepted as aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from nat_env.names import unknown

Kind = Literal["compute", "skip", "none"]
"""NAT's three edge states: O (an op with compute), S (skip connection), N (null)."""


@dataclass(frozen=True)
class OpInfo:
    """What the transitions and the cost model need to know about one op.

    Attributes:
        name: canonical name.
        kind: NAT's edge state of the op.
        family: the NAT++ op type (``conv``, ``sep_conv``, ``dil_conv``, ``pool``, ``skip``, ``none``,
            or ``other`` for ops outside the NAT++ table).
        kernel: spatial kernel size (0 for skip and none).
    """

    name: str
    kind: Kind
    family: str
    kernel: int


def _info(name: str) -> OpInfo:
    if name == "none":
        return OpInfo(name, "none", "none", 0)
    if name == "skip_connect":
        return OpInfo(name, "skip", "skip", 0)
    match = re.fullmatch(r"(sep_conv|dil_conv|conv|max_pool|avg_pool)_(\d)x(\d)", name)
    if match and match[2] == match[3]:
        family = "pool" if "pool" in match[1] else match[1]
        return OpInfo(name, "compute", family, int(match[2]))
    return OpInfo(name, "compute", "other", max(int(d) for d in re.findall(r"\d", name)))


NATPP_OPS: tuple[str, ...] = (
    "conv_5x5",
    "conv_3x3",
    "conv_1x1",
    "sep_conv_5x5",
    "sep_conv_3x3",
    "dil_conv_5x5",
    "dil_conv_3x3",
    "max_pool_5x5",
    "avg_pool_5x5",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "none",
)
"""The 13-op NAT++ vocabulary, ordered from most to least expensive type (NAT++ action indices)."""

DARTS_OPS: tuple[str, ...] = (
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
)
"""The DARTS primitives, in DARTS' order."""

NAT_OPS: tuple[str, ...] = (*DARTS_OPS, "conv_1x1", "conv_3x3", "conv_5x5")
"""NAT's vocabulary: the DARTS primitives and plain convolutions."""

NB201_OPS: tuple[str, ...] = ("none", "skip_connect", "conv_1x1", "conv_3x3", "avg_pool_3x3")
"""NAS-Bench-201's vocabulary, ordered by its op ids (0 none ... 4 avg_pool_3x3)."""

NB201_NAMES: dict[str, str] = {"conv_1x1": "nor_conv_1x1", "conv_3x3": "nor_conv_3x3"}
"""How NAS-Bench-201 spells the canonical ops that it names differently."""

EXTRA_OPS: tuple[str, ...] = (
    "max_pool_2x2",
    "avg_pool_2x2",
    "sep_conv_7x7",
    "conv_1x3_3x1",
    "conv_1x7_7x1",
    "conv_7x1_1x7",
)
"""Ops of published NAS cells (NAONet, NASNet, AmoebaNet) outside the NAT and NAT++ vocabularies.

They are well defined (see :mod:`nat_env.nn.operations`), so genotypes may hold them and the cost model
counts them; NAT treats them as ordinary compute ops, NAT++ rejects them because its table has no row
for them.
"""

ALL_OPS: tuple[str, ...] = (*NATPP_OPS, *EXTRA_OPS)
"""Every op a genotype may hold."""

ALIASES: dict[str, str] = {
    "null": "none",
    "zero": "none",
    "skip": "skip_connect",
    "identity": "skip_connect",
    "nor_conv_1x1": "conv_1x1",
    "nor_conv_3x3": "conv_3x3",
}
"""Other spellings of canonical op names."""

OPS: dict[str, OpInfo] = {name: _info(name) for name in ALL_OPS}
"""Canonical name -> :class:`OpInfo`."""

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "nat": NAT_OPS,
    "nat++": NATPP_OPS,
    "nb201": NB201_OPS,
    "all": ALL_OPS,
}
"""The named op sets."""


def canonical(name: str) -> str:
    """Return the canonical spelling of an op name.

    Raises:
        ValueError: if the name is no known op or alias.
    """
    resolved = ALIASES.get(name, name)
    if resolved not in OPS:
        raise ValueError(unknown("op", name, [*ALL_OPS, *ALIASES], "known ops and aliases"))
    return resolved


def kind(name: str) -> Kind:
    """NAT's edge state (compute, skip or none) of a canonical op name."""
    return OPS[name].kind


def check_vocabulary(ops: list[str] | tuple[str, ...], vocabulary: str) -> None:
    """Raise a ``ValueError`` that names every op outside the named vocabulary.

    Args:
        ops: canonical op names.
        vocabulary: a key of :data:`VOCABULARIES`.
    """
    allowed = VOCABULARIES[vocabulary]
    outside = sorted({op for op in ops if op not in allowed})
    if outside:
        raise ValueError(
            f"op(s) {', '.join(outside)} are outside the {vocabulary!r} vocabulary ({', '.join(allowed)})"
        )
