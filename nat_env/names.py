"""Unknown names: the one message that says what was asked for, the closest known names and all of them."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def unknown(kind: str, name: str, known: Iterable[str], listed_as: str | None = None) -> str:
    """The message for a name that is not among the known ones: "did you mean" (difflib) and the sorted list.

    Args:
        kind: what the name names (``genotype``, ``op``...).
        name: the name that was asked for.
        known: every name that would have been accepted.
        listed_as: how to introduce the list (default: ``known <kind>s``).

    Example:
        >>> unknown("genotype", "DARTS_V3", ["NAT_DARTS", "DARTS_V2"])
        "unknown genotype 'DARTS_V3' (did you mean DARTS_V2?); known genotypes: DARTS_V2, NAT_DARTS"
    """
    names = sorted(set(known))
    close = difflib.get_close_matches(name, names, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return f"unknown {kind} {name!r}{hint}; {listed_as or f'known {kind}s'}: {', '.join(names)}"
