"""Flags from configuration dataclasses: the one way every ``nat`` subcommand and benchmark reads its arguments.

It stands beside the data flow in :mod:`nat_env`, which both the command line and the benchmarks import,
so that the benchmarks need not import the command line.

Each runnable thing has one dataclass of configuration whose fields carry docstrings. :func:`add_arguments`
turns every field into a flag whose default is the field's and whose help is the field's docstring (read
from the source by :func:`field_help`), so ``--help`` and the code say the same thing; :func:`parse_dataclass`
does it all for a script. How a field becomes a flag:

* ``bool`` → ``--flag`` / ``--no-flag``; ``tuple[X, ...]`` → comma-separated values of ``X``;
  ``dict`` → ``KEY=VALUE`` pairs (values read as JSON when they parse); ``X | None`` → a value of ``X``;
  anything else → a value of the field's type.
* ``metadata`` of a field refines it: ``flags`` (extra names such as ``-k``), ``type`` (a parser such as
  :func:`positive_int`), ``choices``, ``positional`` (with ``nargs``), and ``cli=False`` for fields a
  script sets itself.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import itertools
import json
import textwrap
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def field_help(cls: type) -> dict[str, str]:
    """The docstring under each field of a dataclass and of its dataclass bases, by field name (one line,
    whitespace collapsed; a subclass's docstring wins)."""
    docs: dict[str, str] = {}
    for base in reversed(cls.__mro__):
        if dataclasses.is_dataclass(base) and base is not cls:
            docs.update(_own_field_help(base))
    return {**docs, **_own_field_help(cls)}


def _own_field_help(cls: type) -> dict[str, str]:
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


def add_arguments(parser: argparse.ArgumentParser, cls: type) -> None:
    """Add one argument per field of the dataclass ``cls`` (see the module docstring)."""
    helps = field_help(cls)
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        meta = field.metadata
        if not meta.get("cli", True):
            continue
        default = _default(field)
        kind = _unwrap(hints[field.name])
        text = (helps.get(field.name) or "") + _default_text(default)
        options: dict[str, Any] = {"help": text.replace("%", "%%") if text else None}
        if "choices" in meta:
            options["choices"] = meta["choices"]
        if meta.get("positional"):
            options["nargs"] = meta.get("nargs")
            if default is not dataclasses.MISSING:
                options["default"] = default
            parser.add_argument(field.name, **{k: v for k, v in options.items() if v is not None})
            continue
        if default is dataclasses.MISSING:
            options["required"] = True
        else:
            options["default"] = default
        if kind is bool:
            options["action"] = argparse.BooleanOptionalAction
        elif typing.get_origin(kind) is tuple:
            item = _item_type(kind, default)
            options["type"] = lambda text, item=item: tuple(item(v) for v in text.split(",") if v)
            options["metavar"] = "A,B,..."
        elif typing.get_origin(kind) is dict or kind is dict:
            options.update(type=key_value, nargs="*", metavar="KEY=VALUE")
            options["default"] = dict(default) if isinstance(default, dict) else {}
        else:
            options["type"] = meta.get("type", kind if callable(kind) else str)
        flags = [f"--{field.name.replace('_', '-')}", *meta.get("flags", ())]
        parser.add_argument(*flags, dest=field.name, **options)


def from_namespace(cls: type[T], namespace: argparse.Namespace) -> T:
    """An instance of the dataclass ``cls`` from parsed arguments (``KEY=VALUE`` lists become dicts)."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if not field.metadata.get("cli", True) or not hasattr(namespace, field.name):
            continue
        value = getattr(namespace, field.name)
        if isinstance(value, list) and value and all(isinstance(v, tuple) and len(v) == 2 for v in value):
            value = dict(value)
        elif isinstance(value, list) and not value and _is_dict(field):
            value = {}
        values[field.name] = value
    return cls(**values)


def parse_dataclass(cls: type[T], argv: Sequence[str] | None, description: str | None) -> T:
    """Parse ``argv`` (``None``: ``sys.argv[1:]``) into the dataclass ``cls``; ``description`` is the help text."""
    parser = argparse.ArgumentParser(
        description=plain(description), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser, cls)
    return from_namespace(cls, parser.parse_args(argv))


def _default_text(default: Any) -> str:
    """`` (default: X)`` for ``--help``; nothing for a required field or one whose help explains ``None``."""
    if default is dataclasses.MISSING or default is None or default == {} or default == []:
        return ""
    if isinstance(default, tuple):
        return f" (default: {','.join(map(str, default))})"
    if isinstance(default, bool):
        return f" (default: {'yes' if default else 'no'})"
    return f" (default: {default})"


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _unwrap(kind: Any) -> Any:
    """``X`` of ``X | None``."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        rest = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(rest) == 1:
            return rest[0]
    return kind


def _item_type(kind: Any, default: Any) -> Callable[[str], Any]:
    args = [a for a in typing.get_args(kind) if a is not Ellipsis]
    if args and callable(args[0]):
        return args[0]  # type: ignore[no-any-return]
    return type(default[0]) if default else str


def _is_dict(field: dataclasses.Field[Any]) -> bool:
    return field.default_factory is dict
