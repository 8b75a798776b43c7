"""Published genotypes by name, as (op, source, target) triples.

Transcribed from the DARTS, NAT and NAT++ authors' releases (each entry's ``source``) into
``published.json`` beside this module, read once at import. Ops keep the authors' spelling (``null`` is
``none``). ``NAT_X`` / ``NATPP_X`` are the NAT / NAT++ transformations of ``X`` published by the authors.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

FILE = "published.json"
"""The data file (package data of :mod:`nat_env.genotypes`)."""


def _load() -> dict[str, dict[str, Any]]:
    """Every entry, its cells' triples as tuples.

    Raises:
        RuntimeError: for a data file that is missing or does not read (the message names it: reinstall
            the package).
    """
    path = resources.files(__package__).joinpath(FILE)
    try:
        records: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        for record in records.values():
            for cell in ("normal", "reduce"):
                record[cell] = [(str(op), int(source), int(target)) for op, source, target in record[cell]]
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise RuntimeError(
            f"the published genotypes {path} do not read ({error}); reinstall nat-gym"
        ) from error
    return records


PUBLISHED: dict[str, dict[str, Any]] = _load()
