"""Text formats: round trips of every published genotype and errors that say what and where."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nat_env import genotypes
from nat_env.genotypes import format_darts, format_nb201, format_triples, parse, to_dict

DARTS_V2_TEXT = (
    "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1), ('sep_conv_3x3', 0), ('sep_conv_3x3', 1), "
    "('sep_conv_3x3', 1), ('skip_connect', 0), ('skip_connect', 0), ('dil_conv_3x3', 2)], "
    "normal_concat=[2, 3, 4, 5], reduce=[('max_pool_3x3', 0), ('max_pool_3x3', 1), ('skip_connect', 2), "
    "('max_pool_3x3', 1), ('max_pool_3x3', 0), ('skip_connect', 2), ('skip_connect', 2), "
    "('max_pool_3x3', 1)], reduce_concat=[2, 3, 4, 5])"
)
NB201_TEXT = "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"


@pytest.mark.parametrize("name", genotypes.names())
def test_named_round_trips(name: str) -> None:
    genotype = genotypes.get(name)
    assert genotype.name == name
    for text in (
        str(genotype),
        format_darts(genotype),
        format_triples(genotype),
        json.dumps(to_dict(genotype)),
    ):
        assert parse(text) == genotype
    assert format_darts(parse(format_darts(genotype))) == format_darts(genotype)
    assert format_triples(parse(format_triples(genotype))) == format_triples(genotype)


def test_named_match_reference_file(reference_genotypes_json: Path) -> None:
    data = json.loads(reference_genotypes_json.read_text())
    assert set(data) == set(genotypes.names())
    for name, entry in data.items():
        assert genotypes.from_dict(entry) == genotypes.get(name), name


def test_darts_text_prints_back_exactly() -> None:
    genotype = parse(DARTS_V2_TEXT)
    assert genotype == genotypes.get("DARTS_V2")
    assert str(genotype) == DARTS_V2_TEXT


def test_range_concat_and_whitespace() -> None:
    text = DARTS_V2_TEXT.replace("normal_concat=[2, 3, 4, 5]", "normal_concat=range(2, 6)")
    assert parse("  \n" + text.replace(", ", ",\n  ") + "\n") == genotypes.get("DARTS_V2")


def test_nb201_round_trip() -> None:
    genotype = parse(NB201_TEXT)
    assert genotype.ops == ("conv_3x3", "none", "conv_3x3", "skip_connect", "none", "conv_3x3")
    assert format_nb201(genotype) == NB201_TEXT
    assert str(genotype) == NB201_TEXT


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("Genotype(normal=[", "line 1, column"),
        (
            "Genotype(normal=[('sep_conv_3x3', 0), ('bogus_op', 1)], normal_concat=[2], "
            "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=[2])",
            "normal cell: edge 1: unknown op 'bogus_op'",
        ),
        (
            "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 2)], normal_concat=[2], "
            "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=[2])",
            "source must be a node before",
        ),
        (
            "Genotype(normal=[('sep_conv_3x3', 0)], normal_concat=[2], "
            "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=[2])",
            "two per node",
        ),
        (
            "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], normal_concat=[2, 3], "
            "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=[2])",
            "concat node 3 is out of range",
        ),
        (
            "Genotype(normal=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], normal_concat=[2], reduce=[])",
            "lacks reduce_concat",
        ),
        (
            "Genotype(normal=[('sep_conv_3x3', 0, 2), ('sep_conv_3x3', 1)], normal_concat=[2], "
            "reduce=[('sep_conv_3x3', 0), ('sep_conv_3x3', 1)], reduce_concat=[2])",
            "mixes pairs and triples",
        ),
        (
            "Genotype(normal=[__import__('os')], normal_concat=[2], reduce=[], reduce_concat=[2])",
            "not a literal",
        ),
        ("print('hi')", "expected Genotype"),
        ("|nor_conv_3x3~0|+|none~0|", "expected 3 nodes"),
        ("|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|", "node 3: expected 3 inputs"),
        ("|nor_conv_3x3~0|+|none~0|nor_conv_9x9~1|+|skip_connect~0|none~1|none~2|", "node 2: unknown op"),
        ("|nor_conv_3x3-0|+|none~0|none~1|+|skip_connect~0|none~1|none~2|", "must look like op~source"),
        ('{"normal": [["sep_conv_3x3", 0, 2]], "normal_concat": [2]}', "lacks reduce"),
        ('{"normal": ', "malformed JSON"),
    ],
)
def test_malformed_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(text)


def test_unknown_name_suggests_the_closest_and_lists_the_known_names_sorted() -> None:
    with pytest.raises(KeyError, match="unknown genotype 'DARTS_V9'") as raised:
        genotypes.get("DARTS_V9")
    message = str(raised.value)
    assert "did you mean DARTS_V2" in message
    listed = message.split("known genotypes: ")[1].split(", ")
    assert listed == sorted(genotypes.names())


def test_resolve_gives_the_same_message_for_an_unknown_name() -> None:
    with pytest.raises(genotypes.UnknownGenotypeError) as by_name:
        genotypes.get("DARTS_V3")
    with pytest.raises(ValueError, match="DARTS_V3") as resolved:
        genotypes.resolve("DARTS_V3")
    assert str(resolved.value) == str(by_name.value)
    assert "did you mean DARTS_V2" in str(resolved.value)


def test_nb201_string_without_outer_bars_names_the_expected_form() -> None:
    cell = "|nor_conv_3x3~0|+|none~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|"
    for text in (cell[1:-1], cell[:-1]):
        with pytest.raises(ValueError, match="lacks its outer bars") as raised:
            parse(text)
        assert "|op~0|+|op~0|op~1|+|op~0|op~1|op~2|" in str(raised.value)


def test_nb201_op_typo_lists_only_the_nb201_ops() -> None:
    with pytest.raises(ValueError, match="node 1") as raised:
        parse("|nor_conv3x3~0|+|none~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|")
    message = str(raised.value)
    assert "unknown op 'nor_conv3x3'" in message
    assert "did you mean nor_conv_3x3" in message
    assert message.endswith("NAS-Bench-201 ops: avg_pool_3x3, none, nor_conv_1x1, nor_conv_3x3, skip_connect")
    assert "sep_conv" not in message


def test_resolve_accepts_all_forms() -> None:
    beta = genotypes.get("DARTS_V2")
    assert genotypes.resolve("DARTS_V2") == beta
    assert genotypes.resolve(str(beta)) == beta
    assert genotypes.resolve(beta) is beta
