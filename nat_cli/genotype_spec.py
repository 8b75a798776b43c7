"""Genotype specs on the command line: a published name, DARTS or NAS-Bench-201 text, or a file holding it."""

from __future__ import annotations

from pathlib import Path

from nat_cli import CommandError
from nat_env import genotypes
from nat_env.genotypes import Genotype


def load_genotype(spec: str) -> Genotype:
    """The genotype a command-line spec names.

    Args:
        spec: a published name (``DARTS_V2``), genotype text (see :func:`nat_env.genotypes.parse`) or
            the path of a file that holds either.

    Raises:
        CommandError: for an unreadable file, an unknown name (:func:`nat_env.genotypes.get`'s message) or
            text that is no genotype (the parser's message).
    """
    text = spec
    path = Path(spec)
    if spec not in genotypes.PUBLISHED and not spec.lstrip().startswith(("|", "{", "Genotype")):
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8").strip()
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"cannot read genotype file {spec}: {error}") from None
        elif path.suffix or "/" in spec:
            raise CommandError(f"{spec!r} is neither a published genotype name nor an existing file")
    try:
        return genotypes.resolve(text)
    except genotypes.UnknownGenotypeError as error:
        raise CommandError(str(error)) from None
    except ValueError as error:
        raise CommandError(f"malformed genotype {_short(text)}: {error}") from None


def _short(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= limit else flat[: limit - 3] + "...")
