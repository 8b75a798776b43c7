"""Families of named presets: lookup by name, and errors that list the names a family holds."""

from __future__ import annotations

import pytest

from nat_env.presets import Presets, UnknownPreset
from nat_env.supernet.presets import PAPER, PRESETS, get_preset


def test_a_family_is_a_mapping_in_the_given_order() -> None:
    family = Presets("sizes", {"large": 3, "small": 1})
    assert list(family) == ["large", "small"]
    assert (family["small"], len(family), dict(family)) == (1, 2, {"large": 3, "small": 1})


def test_an_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(UnknownPreset, match=r"unknown preset 'huge' \(sizes\); known presets: large, small"):
        Presets("sizes", {"large": 3, "small": 1})["huge"]


def test_the_supernet_presets_are_the_paper_and_two_smaller_ones() -> None:
    assert list(PRESETS) == ["paper", "cpu-small", "tiny"]
    assert get_preset("paper") is PAPER
    assert get_preset("cpu-small").faithful_from == 10_000
    assert get_preset("tiny").nb201_sampler == "mixture"
    with pytest.raises(ValueError, match=r"unknown preset 'huge' .*: paper, cpu-small, tiny"):
        get_preset("huge")
