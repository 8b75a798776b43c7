"""Flags from configuration dataclasses (benchmarks and nat subcommands)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import pytest

from nat_env.flags import add_arguments, field_help, parse_dataclass


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


@dataclass
class Data:
    table: str | None = None
    """The table file."""


@dataclass
class Derived:
    extra: dict[str, int] = field(default_factory=dict, metadata={"cli": False})
    """Set by the script."""


@dataclass
class Study(Data, Derived):
    steps: int = 3
    """Steps of the study."""
    table: str | None = "own.csv"
    """The study's own table."""


def test_fields_of_dataclass_bases_are_flags_with_their_help() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser, Study)
    helps = {action.dest: action.help for action in parser._actions}
    assert helps["steps"] == "Steps of the study. (default: 3)"
    assert helps["table"] == "The study's own table. (default: own.csv)"  # a redeclared field is the study's
    assert "extra" not in helps
    assert parse_dataclass(Study, [], None) == Study(table="own.csv")
    assert parse_dataclass(Study, ["--table", "t.csv", "--steps", "5"], None) == Study(steps=5, table="t.csv")
    assert field_help(Study)["extra"] == "Set by the script."


def test_a_base_field_keeps_its_help_in_every_study() -> None:
    @dataclass
    class Other(Data):
        seed: int = 0

    parser = argparse.ArgumentParser()
    add_arguments(parser, Other)
    assert {action.dest: action.help for action in parser._actions}["table"] == "The table file."
    assert parse_dataclass(Other, ["--table", "x"], None) == Other(table="x")
