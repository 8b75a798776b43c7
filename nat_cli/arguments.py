"""Argument plumbing shared by the subcommands: field help from dataclass docstrings, ``key=value`` pairs.

Each subcommand's configuration is one dataclass whose fields carry their docstrings; :func:`field_help`
reads them from the source so that ``--help`` and the code say the same thing.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import itertools
import json
import textwrap
from typing import Any


def field_help(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass, by field name (one line, whitespace collapsed)."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


def key_value(text: str) -> tuple[str, Any]:
    """One ``key=value`` pair; the value is read as JSON when it parses (``12``, ``true``), else a string.

    Raises:
        argparse.ArgumentTypeError: without ``=`` or with an empty key.
    """
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected key=value, got {text!r}")
    try:
        parsed: Any = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    return key.strip(), parsed


def _int_at_least(text: str, minimum: int, kind: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {value}")
    return value


def positive_int(text: str) -> int:
    """An integer > 0 (argparse ``type``)."""
    return _int_at_least(text, 1, "positive")


def non_negative_int(text: str) -> int:
    """An integer >= 0 (argparse ``type``)."""
    return _int_at_least(text, 0, "non-negative")


def plain(docstring: str | None) -> str:
    """A module docstring as ``--help`` text: reST's double backquotes dropped."""
    return (docstring or "").replace("``", "'")
