"""Command-line flags from a benchmark's ``Args`` dataclass: one ``--flag`` per field, defaults kept.

Field types map to parsers: ``bool`` → ``--flag/--no-flag``, ``tuple`` → comma-separated values of
the default's element type, ``None`` defaults → text, anything else → the default's type.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def parse_dataclass(cls: type[T], argv: list[str] | None, description: str | None) -> T:
    """Parse ``argv`` into an instance of the dataclass ``cls``.

    Args:
        cls: the dataclass; fields without a plain default (``default_factory``) are not flags.
        argv: the arguments (``None``: ``sys.argv[1:]``).
        description: the help text (usually the script's module docstring).
    """
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        if field.default is dataclasses.MISSING:
            continue
        flag, default = f"--{field.name.replace('_', '-')}", field.default
        options: dict[str, Any] = {"default": default}
        if isinstance(default, bool):
            options["action"] = argparse.BooleanOptionalAction
        elif isinstance(default, tuple):
            kind = type(default[0]) if default else str
            options["type"] = lambda text, kind=kind: tuple(kind(v) for v in text.split(",") if v)
        else:
            options["type"] = str if default is None else type(default)
        parser.add_argument(flag, **options)
    return cls(**vars(parser.parse_args(argv)))
