"""Reading genotypes: DARTS ``Genotype(...)`` text (pairs or triples), JSON and NAS-Bench-201 strings.

The writers of the same formats live beside the type, in :mod:`nat_env.genotypes.genotype`.

Parsing walks Python's syntax tree of the text and accepts only literals, so pasted text is never
executed. Every error is a ``ValueError`` whose message says what is wrong and where.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from nat_env import ops as _ops
from nat_env.genotypes.genotype import NB201_NODES, Cell, Edge, Genotype, nb201_cell
from nat_env.names import unknown

_CELL_KEYS = ("normal", "normal_concat", "reduce", "reduce_concat")
NB201_FORM = "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|"
"""The shape of a NAS-Bench-201 string: each node's inputs between bars, nodes joined by ``+``."""
NB201_SPELLINGS = tuple(_ops.NB201_NAMES.get(op, op) for op in _ops.NB201_OPS)
"""The ops of a NAS-Bench-201 string as NAS-Bench-201 spells them."""


def parse(text: str) -> Genotype:
    """Read a genotype from any supported text format.

    Formats:
        * DARTS text with pairs, two per intermediate node:
          ``Genotype(normal=[('sep_conv_3x3', 0), ...], normal_concat=[2, 3, 4, 5], reduce=[...],
          reduce_concat=range(2, 6))``;
        * the same with (op, source, target) triples instead of pairs;
        * a JSON object with ``normal``/``reduce`` lists of ``[op, source, target]`` and the concat lists
          (the layout of the published genotypes file);
        * a NAS-Bench-201 string ``|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|...|``.

    Raises:
        ValueError: on malformed text, unknown ops or an invalid cell; the message says what and where.
    """
    if not isinstance(text, str):
        raise ValueError(f"expected genotype text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise ValueError("empty genotype text")
    if stripped.startswith("|") or ("~" in stripped and not stripped.startswith(("{", "Genotype"))):
        return parse_nb201(stripped)
    if stripped.startswith("{"):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"malformed JSON genotype at line {error.lineno}, column {error.colno}: {error.msg}"
            ) from None
        return from_dict(data)
    return _parse_darts(stripped)


def parse_nb201(text: str) -> Genotype:
    """Read a NAS-Bench-201 string such as ``|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|...|``."""
    stripped = text.strip()
    if not (stripped.startswith("|") and stripped.endswith("|")):
        raise ValueError(
            f"NAS-Bench-201 string {text!r} lacks its outer bars: expected the form {NB201_FORM} "
            "(it starts and ends with '|')"
        )
    nodes = stripped.split("+")
    if len(nodes) != NB201_NODES - 1:
        raise ValueError(
            f"NAS-Bench-201 string {text!r}: expected {NB201_NODES - 1} nodes separated by '+', "
            f"found {len(nodes)} (the form is {NB201_FORM})"
        )
    ops: list[str] = []
    for target, node in enumerate(nodes, start=1):
        if not (node.startswith("|") and node.endswith("|") and len(node) > 2):
            raise ValueError(
                f"NAS-Bench-201 string, node {target}: {node!r} must look like |op~source|...| "
                f"(the form is {NB201_FORM})"
            )
        items = node[1:-1].split("|")
        if len(items) != target:
            raise ValueError(
                f"NAS-Bench-201 string, node {target}: expected {target} inputs, found {len(items)}"
            )
        for expected_source, item in enumerate(items):
            op, sep, source = item.partition("~")
            if not sep or not source.isdigit():
                raise ValueError(f"NAS-Bench-201 string, node {target}: {item!r} must look like op~source")
            if int(source) != expected_source:
                raise ValueError(
                    f"NAS-Bench-201 string, node {target}: input {item!r} should come from node {expected_source}"
                )
            canonical = _ops.ALIASES.get(op, op)
            if canonical not in _ops.NB201_OPS:
                message = unknown("op", op, NB201_SPELLINGS, "NAS-Bench-201 ops")
                raise ValueError(f"NAS-Bench-201 string, node {target}: {message}")
            ops.append(canonical)
    return Genotype(nb201_cell(ops))


def from_dict(data: Any, name: str | None = None) -> Genotype:
    """A DARTS genotype from the published genotypes file's layout (extra keys are ignored)."""
    if not isinstance(data, dict):
        raise ValueError(f"expected an object with keys {', '.join(_CELL_KEYS)}")
    missing = [key for key in _CELL_KEYS if key not in data]
    if missing:
        raise ValueError(f"genotype object lacks {', '.join(missing)}")
    cells = []
    for key in ("normal", "reduce"):
        edges = data[key]
        if not isinstance(edges, list):
            raise ValueError(f"{key}: expected a list of [op, source, target]")
        triples = []
        for index, item in enumerate(edges):
            if not (isinstance(item, list | tuple) and len(item) == 3):
                raise ValueError(f"{key}, edge {index}: expected [op, source, target], got {item!r}")
            op, source, target = item
            if not (isinstance(op, str) and _is_int(source) and _is_int(target)):
                raise ValueError(f"{key}, edge {index}: expected [op, source, target], got {item!r}")
            triples.append((op, source, target))
        concat = data[f"{key}_concat"]
        if not (isinstance(concat, list) and all(_is_int(n) for n in concat)):
            raise ValueError(f"{key}_concat: expected a list of node numbers, got {concat!r}")
        cells.append(_cell(key, triples, concat))
    return Genotype(cells[0], cells[1], name)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _where(node: ast.AST) -> str:
    return f"line {getattr(node, 'lineno', '?')}, column {getattr(node, 'col_offset', -1) + 1}"


def _parse_darts(text: str) -> Genotype:
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as error:
        raise ValueError(
            f"malformed genotype text at line {error.lineno}, column {error.offset}: {error.msg}"
        ) from None
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "Genotype"):
        raise ValueError(
            f"{_where(call)}: expected Genotype(normal=..., normal_concat=..., reduce=..., reduce_concat=...), "
            "a JSON object or a NAS-Bench-201 string"
        )
    if call.args:
        raise ValueError(f"{_where(call.args[0])}: Genotype(...) takes keyword arguments only")
    values: dict[str, ast.expr] = {}
    for keyword in call.keywords:
        if keyword.arg not in _CELL_KEYS:
            raise ValueError(f"{_where(keyword.value)}: unexpected argument {keyword.arg!r}")
        values[keyword.arg] = keyword.value
    missing = [key for key in _CELL_KEYS if key not in values]
    if missing:
        raise ValueError(f"{_where(call)}: Genotype(...) lacks {', '.join(missing)}")
    cells = []
    for key in ("normal", "reduce"):
        edges = _edges(key, values[key])
        concat = _concat(key, values[f"{key}_concat"])
        cells.append(_cell(key, edges, concat))
    return Genotype(cells[0], cells[1])


def _edges(key: str, node: ast.expr) -> list[tuple[str, int, int]]:
    if not isinstance(node, ast.List | ast.Tuple):
        raise ValueError(
            f"{key} at {_where(node)}: expected a list of (op, source) pairs or (op, source, target) triples"
        )
    items: list[tuple[str, ...]] = []
    widths = set()
    for index, element in enumerate(node.elts):
        try:
            value = ast.literal_eval(element)
        except ValueError:
            raise ValueError(f"{key}, edge {index} at {_where(element)}: not a literal") from None
        if not (
            isinstance(value, tuple | list)
            and len(value) in (2, 3)
            and isinstance(value[0], str)
            and all(_is_int(v) for v in value[1:])
        ):
            raise ValueError(
                f"{key}, edge {index} at {_where(element)}: expected ('op', source) or ('op', source, target), got {value!r}"
            )
        widths.add(len(value))
        items.append(tuple(value))
    if len(widths) > 1:
        raise ValueError(f"{key} at {_where(node)}: mixes pairs and triples")
    if widths == {3}:
        return [(str(op), int(s), int(t)) for op, s, t in items]
    if len(items) % 2:
        raise ValueError(f"{key} at {_where(node)}: {len(items)} pairs; DARTS text needs two per node")
    return [(str(op), int(s), 2 + index // 2) for index, (op, s) in enumerate(items)]


def _concat(key: str, node: ast.expr) -> list[int]:
    where = f"{key}_concat at {_where(node)}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range":
        try:
            bounds = [ast.literal_eval(arg) for arg in node.args]
        except ValueError:
            raise ValueError(f"{where}: range() takes integer literals") from None
        if not (1 <= len(bounds) <= 2 and all(_is_int(b) for b in bounds)):
            raise ValueError(f"{where}: expected range(start, stop)")
        return list(range(*bounds))
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise ValueError(f"{where}: expected a list of node numbers or range(start, stop)") from None
    if not (isinstance(value, list | tuple) and all(_is_int(n) for n in value)):
        raise ValueError(f"{where}: expected a list of node numbers, got {value!r}")
    return list(value)


def _cell(key: str, triples: list[tuple[str, int, int]], concat: list[int]) -> Cell:
    try:
        edges = []
        for index, (op, source, target) in enumerate(triples):
            try:
                edges.append(Edge(op, source, target))
            except ValueError as error:
                raise ValueError(f"edge {index}: {error}") from None
        return Cell(tuple(edges), tuple(concat), "darts")
    except ValueError as error:
        raise ValueError(f"{key} cell: {error}") from None
