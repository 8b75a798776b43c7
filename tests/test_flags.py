"""Flags from configuration dataclasses (benchmarks and nat subcommands)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from nat_env.flags import parse_dataclass


@dataclass
class Example:
    steps: int = 3
    rate: float = 0.5
    name: str | None = None
    smoke: bool = False
    seeds: tuple[int, ...] = (0, 1)
    extra: dict[str, int] = field(default_factory=dict, metadata={"cli": False})


def test_defaults_are_kept() -> None:
    assert parse_dataclass(Example, [], None) == Example()


def test_every_kind_of_field_parses() -> None:
    args = parse_dataclass(
        Example, ["--steps", "7", "--rate", "0.1", "--name", "x", "--smoke", "--seeds", "4,5,6"], None
    )
    assert args == Example(steps=7, rate=0.1, name="x", smoke=True, seeds=(4, 5, 6))
    assert parse_dataclass(Example, ["--no-smoke"], None).smoke is False


def test_bad_values_exit_with_a_usage_error() -> None:
    with pytest.raises(SystemExit):
        parse_dataclass(Example, ["--steps", "many"], None)
    with pytest.raises(SystemExit):
        parse_dataclass(Example, ["--extra", "1"], None)
