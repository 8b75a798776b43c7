"""Genotypes: the immutable architecture type, its text formats (writers and readers) and the published cells.

Example:
    >>> from nat_env import genotypes
    >>> beta = genotypes.get("DARTS_V2")
    >>> genotypes.parse(str(beta)) == beta
    True
"""

from __future__ import annotations

from nat_env.genotypes.genotype import (
    NB201_NODES,
    Cell,
    CellStyle,
    Edge,
    Genotype,
    darts_cell,
    format_darts,
    format_nb201,
    format_triples,
    nb201_cell,
    pad_nodes,
    to_dict,
    unpad_nodes,
)
from nat_env.genotypes.parsing import from_dict, parse, parse_nb201
from nat_env.genotypes.published import PUBLISHED
from nat_env.names import unknown

__all__ = [
    "NB201_NODES",
    "PUBLISHED",
    "Cell",
    "CellStyle",
    "Edge",
    "Genotype",
    "UnknownGenotypeError",
    "darts_cell",
    "format_darts",
    "format_nb201",
    "format_triples",
    "from_dict",
    "get",
    "names",
    "nb201_cell",
    "pad_nodes",
    "parse",
    "parse_nb201",
    "resolve",
    "to_dict",
    "unpad_nodes",
]


class UnknownGenotypeError(KeyError, ValueError):
    """A genotype name that is not published: a ``KeyError`` for :func:`get`, a ``ValueError`` for
    :func:`resolve` (whose other errors are malformed text), one message for both."""

    def __str__(self) -> str:
        return str(self.args[0])


def names() -> list[str]:
    """Names of every published genotype, for :func:`get`."""
    return list(PUBLISHED)


def get(name: str) -> Genotype:
    """A published genotype by name (``DARTS_V2``, ``NAT_DARTS``, ``VGG``, ...).

    Raises:
        UnknownGenotypeError: for an unknown name; the message names the closest and lists the known ones.
    """
    try:
        entry = PUBLISHED[name]
    except KeyError:
        raise UnknownGenotypeError(unknown("genotype", name, PUBLISHED)) from None
    data = {
        key: [list(item) for item in entry[key]] if key in ("normal", "reduce") else entry[key]
        for key in ("normal", "normal_concat", "reduce", "reduce_concat")
    }
    return from_dict(data, name=name)


def resolve(spec: Genotype | str) -> Genotype:
    """A genotype from a genotype, a published name or any text :func:`parse` reads.

    Raises:
        UnknownGenotypeError: for a name (a Python identifier) that is not published.
        ValueError: for text that is no genotype (the parser's message).
    """
    if isinstance(spec, Genotype):
        return spec
    if isinstance(spec, str) and spec.strip().isidentifier():
        return get(spec.strip())
    return parse(spec)
