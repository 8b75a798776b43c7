"""Presets: configurations picked by name, beside the data flow.

A family of presets holds frozen dataclasses of one kind: a base written out field by field and the
others as the fields they change (``dataclasses.replace(base, ...)``). Two families use it: the sizes of
the supernet environments (:data:`nat_env.supernet.presets.PRESETS`) and the from-scratch training
protocols of each genotype space (:data:`nat_env.scratch.protocol.PRESETS`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

T = TypeVar("T")


class UnknownPreset(ValueError):
    """A name that a family of presets does not hold; the message lists the names it holds."""


class Presets(Mapping[str, T], Generic[T]):
    """A family of named presets: a read-only mapping from name to configuration, in the given order.

    Args:
        kind: what the family configures, for error messages (``supernet sizes``).
        presets: the presets by name.

    Raises:
        UnknownPreset: on looking up a name the family does not hold.
    """

    def __init__(self, kind: str, presets: Mapping[str, T]) -> None:
        self.kind = kind
        self._presets = dict(presets)

    def __getitem__(self, name: str) -> T:
        try:
            return self._presets[name]
        except KeyError:
            known = ", ".join(self._presets)
            raise UnknownPreset(f"unknown preset {name!r} ({self.kind}); known presets: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._presets)

    def __len__(self) -> int:
        return len(self._presets)
