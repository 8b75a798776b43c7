"""The compact NAS-Bench-201 table: the published checks on the real file, lookups, and every load error."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from nat_env import genotypes
from nat_env.nb201.cells import code_of, genotype_of_code
from nat_env.nb201.schema import ACCURACY_COLUMNS, COLUMNS, DATASETS, EPOCHS, SPLITS, TableRow, write_table
from nat_env.nb201.table import ENV_VAR, NB201Table, TableError, TableNotFoundError
from tests.nb201.conftest import SMALL_CODES, synthetic_rows

ALL_CODES = np.arange(5**6)
COMBINATIONS = [(d, s, e) for d in DATASETS for s in SPLITS for e in EPOCHS]


# ---- the real table --------------------------------------------------------------------------------


def test_full_table_loads_quickly_into_small_arrays(nb201_csv: Path) -> None:
    start = time.perf_counter()
    table = NB201Table.load(nb201_csv)
    print(f"loaded {len(table)} cells in {time.perf_counter() - start:.3f} s")
    assert len(table) == 15_625
    assert table.ops.dtype == np.int8
    assert table.ops.shape == (15_625, 6)
    assert table.percent().dtype == np.float32
    arrays = (table.ops, table.indices, table.ranks, table.cell_codes, table.row_of_code)
    columns = (table.percent(*combination) for combination in COMBINATIONS)
    assert sum(a.nbytes for a in (*arrays, *columns)) < 2_000_000
    assert (table.indices == np.arange(15_625)).all()
    assert sorted(table.ranks.tolist()) == list(range(1, 15_626))


def test_published_optimum(nb201_table: NB201Table) -> None:
    val, test = nb201_table.percent("cifar10", "val"), nb201_table.percent("cifar10", "test")
    assert float(val.max()) == pytest.approx(91.607, abs=1e-3)
    assert float(test.max()) == pytest.approx(94.373, abs=1e-3)
    best = nb201_table.genotype(int(np.argmax(test)))
    assert nb201_table.accuracy(best, split="test") == pytest.approx(0.94373, abs=1e-5)
    assert test[nb201_table.ranks == 1][0] == test.max()  # two cells tie at 94.373333


def test_fractions_are_percent_over_100(nb201_table: NB201Table) -> None:
    for combination in COMBINATIONS:
        fractions = nb201_table.accuracies(nb201_table.cell_codes, *combination)
        assert np.allclose(fractions * 100, nb201_table.percent(*combination), atol=1e-5)
        assert 0.0 <= fractions.min() <= fractions.max() <= 1.0


def test_all_cells_round_trip(nb201_table: NB201Table, nb201_csv: Path) -> None:
    arch_strs = [line.split(",")[1] for line in nb201_csv.read_text().splitlines()[1:]]
    disconnected = []
    for row in range(len(nb201_table)):
        genotype = nb201_table.genotype(row)
        code = code_of(genotype)
        assert code == nb201_table.cell_codes[row] == nb201_table.code(genotype)
        assert nb201_table.index_of(genotype) == row
        assert genotypes.format_nb201(genotype) == arch_strs[row]
        assert genotype_of_code(code) == genotype
        if not genotype.normal.is_connected:
            disconnected.append(row)
    assert (nb201_table.rows_of(nb201_table.cell_codes) == np.arange(15_625)).all()
    assert len(disconnected) == 341
    assert (nb201_table.percent("cifar10", "test")[disconnected] == np.float32(10.0)).all()
    assert (
        nb201_table.percent("cifar10", "test")[nb201_table.percent("cifar10", "test") == 10.0].size
    ) == 341


def test_every_code_is_a_cell(nb201_table: NB201Table) -> None:
    assert sorted(nb201_table.row_of_code.tolist()) == list(range(15_625))
    for combination in COMBINATIONS:
        assert not np.isnan(nb201_table.dense(*combination)).any()


def test_vectorised_lookup_equals_scalar(nb201_table: NB201Table) -> None:
    codes = np.random.default_rng(1).choice(ALL_CODES, size=200, replace=False)
    cells = [genotype_of_code(int(code)) for code in codes]
    assert (nb201_table.codes(cells) == codes).all()
    for combination in COMBINATIONS:
        batch = nb201_table.accuracies(codes, *combination)
        dense = nb201_table.dense(*combination)
        assert batch.tolist() == [nb201_table.accuracy(g, *combination) for g in cells]
        assert (batch == dense[codes]).all()
    grid = codes.reshape(10, 20)
    assert nb201_table.accuracies(grid).shape == (10, 20)


def test_row_13714_is_parsed_from_the_string(nb201_table: NB201Table) -> None:
    best = genotypes.parse_nb201(
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_3x3~1|+|skip_connect~0|nor_conv_1x1~1|nor_conv_3x3~2|"
    )
    assert nb201_table.index_of(best) == 13714
    assert nb201_table.accuracy(best, "cifar10", "test") == pytest.approx(0.9437333, abs=1e-6)


# ---- a generated partial table --------------------------------------------------------------------


def test_partial_table_needs_allow_partial(small_table_path: Path) -> None:
    with pytest.raises(TableError, match="expected 15625 rows, found 200") as error:
        NB201Table.load(small_table_path)
    assert "allow_partial" in str(error.value)
    assert str(small_table_path) in str(error.value)


def test_partial_table_round_trips(small_table_path: Path, tmp_path: Path) -> None:
    table = NB201Table.load(small_table_path, allow_partial=True)
    assert len(table) == 200
    assert (table.cell_codes == SMALL_CODES).all()
    assert [row.accuracies for row in table] == [row.accuracies for row in synthetic_rows(SMALL_CODES)]
    copy = tmp_path / "copy.csv"
    write_table(copy, list(table))
    assert copy.read_text() == small_table_path.read_text()


def test_computed_ranks_order_cifar10_test(small_table_path: Path) -> None:
    table = NB201Table.load(small_table_path, allow_partial=True)
    test = table.percent("cifar10", "test")
    assert sorted(table.ranks.tolist()) == list(range(1, 201))
    by_rank = test[np.argsort(table.ranks)]
    assert (np.diff(by_rank) <= 0).all()


def test_partial_lookups(small_table_path: Path) -> None:
    table = NB201Table.load(small_table_path, allow_partial=True)
    present = int(SMALL_CODES[5])
    absent = int(np.setdiff1d(ALL_CODES, SMALL_CODES)[0])
    genotype = genotype_of_code(present)
    expected = ((present * 7 + ACCURACY_COLUMNS.index("c100_test_12")) % 97 + 0.5) / 100
    assert table.accuracy(genotype, "cifar100", "test", 12) == pytest.approx(expected)
    assert table.index_of(genotype) == 1005
    missing = genotype_of_code(absent)
    name = genotypes.format_nb201(missing)
    for lookup in (
        lambda: table.accuracy(missing),
        lambda: table.index_of(missing),
        lambda: table.accuracies(np.array([present, absent])),
    ):
        with pytest.raises(KeyError, match=name.replace("|", r"\|").replace("+", r"\+")):
            lookup()
    values = table.accuracies(np.array([present, absent]), missing=np.nan)
    assert not np.isnan(values[0])
    assert np.isnan(values[1])
    assert np.isnan(table.dense()).sum() == 5**6 - 200


def test_bad_arguments(small_table_path: Path) -> None:
    table = NB201Table.load(small_table_path, allow_partial=True)
    with pytest.raises(ValueError, match="dataset"):
        table.accuracies(SMALL_CODES, "mnist")
    with pytest.raises(ValueError, match="split"):
        table.accuracies(SMALL_CODES, "cifar10", "train")
    with pytest.raises(ValueError, match="epochs"):
        table.accuracies(SMALL_CODES, "cifar10", "val", 100)
    with pytest.raises(ValueError, match="cell codes"):
        table.accuracies(np.array([-1]))
    with pytest.raises(ValueError, match="cell codes"):
        table.accuracies(np.array([5**6]))
    with pytest.raises(IndexError):
        table.genotype(200)
    with pytest.raises(ValueError, match="NAS-Bench-201"):
        table.code(genotypes.get("DARTS_V2"))


def test_write_table_checks_rows(tmp_path: Path) -> None:
    rows = synthetic_rows(SMALL_CODES[:3])
    with pytest.raises(ValueError, match="rank"):
        write_table(
            tmp_path / "t.csv",
            [TableRow(r.index, r.ops, r.accuracies, rank=i) for i, r in enumerate(rows[:1])] + rows[1:],
        )
    with pytest.raises(ValueError, match="ops"):
        write_table(tmp_path / "t.csv", [TableRow(0, (0, 1, 2, 3, 4, 5), rows[0].accuracies)])
    with pytest.raises(ValueError, match="accuracies"):
        write_table(tmp_path / "t.csv", [TableRow(0, rows[0].ops, {"c10_val_200": 1.0})])


# ---- errors name the file, the argument and the environment variable --------------------------------


def _assert_names_everything(error: BaseException, path: Path) -> None:
    message = str(error)
    assert str(path) in message
    assert "table_path" in message
    assert ENV_VAR in message


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.csv"
    with pytest.raises(TableNotFoundError) as error:
        NB201Table.load(path)
    assert isinstance(error.value, FileNotFoundError)
    assert isinstance(error.value, ValueError)
    _assert_names_everything(error.value, path)


def test_no_path_and_no_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(TableNotFoundError, match=ENV_VAR) as error:
        NB201Table.load()
    assert "table_path" in str(error.value)


@pytest.mark.parametrize("given", [False, True])
def test_missing_table_says_how_to_build_one_and_where_the_archive_is(
    given: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    with pytest.raises(TableNotFoundError) as error:
        NB201Table.load(tmp_path / "absent.csv" if given else None)
    message = str(error.value)
    assert "`nat table build NATS-tss-v1_0-3ffb9-simple/ table.csv`" in message
    assert "NATS-Bench's repository, github.com/D-X-Y/NATS-Bench" in message
    assert "nat_env.nb201.convert" not in message


def test_path_from_variable(monkeypatch: pytest.MonkeyPatch, small_table_path: Path) -> None:
    monkeypatch.setenv(ENV_VAR, str(small_table_path))
    table = NB201Table.load(allow_partial=True)
    assert len(table) == 200
    assert table.path == small_table_path


def _replace_field(lines: list[str], row: int, column: str, value: str) -> None:
    fields = lines[row].split(",")
    fields[COLUMNS.index(column)] = value
    lines[row] = ",".join(fields)


def _duplicate(lines: list[str]) -> None:
    lines.append(lines[1])
    _replace_field(lines, len(lines) - 1, "index", "9")


MALFORMATIONS = {
    "renamed column": (
        lambda lines: lines.__setitem__(0, lines[0].replace("c10_val_200", "c10_valid")),
        "header",
    ),
    "missing column": (lambda lines: lines.__setitem__(0, lines[0].rsplit(",", 1)[0]), "header"),
    "short row": (lambda lines: lines.__setitem__(3, lines[3].rsplit(",", 1)[0]), "line 4 has 20 fields"),
    "non-numeric": (
        lambda lines: _replace_field(lines, 2, "c100_val_200", "abc"),
        "line 3, column c100_val_200: 'abc'",
    ),
    "fractional op id": (
        lambda lines: _replace_field(lines, 2, "e3", "1.5"),
        "line 3, column e3: 1.5 is not an integer",
    ),
    "op id out of range": (lambda lines: _replace_field(lines, 2, "e3", "7"), "op ids"),
    "percent out of range": (lambda lines: _replace_field(lines, 2, "c10_test_12", "150.0"), "c10_test_12"),
    "arch_str disagrees": (
        lambda lines: _replace_field(lines, 2, "e0", str((int(lines[2].split(",")[2]) + 1) % 5)),
        "line 3: arch_str",
    ),
    "duplicate cell": (_duplicate, r"more than once \(indices \[1000, 9\]\)"),
    "duplicate index": (lambda lines: _replace_field(lines, 2, "index", lines[1].split(",")[0]), "indices"),
    "empty": (lambda lines: lines.clear(), "header"),
}


@pytest.mark.parametrize("name", list(MALFORMATIONS))
def test_malformed_tables(name: str, small_table_path: Path) -> None:
    spoil, expected = MALFORMATIONS[name]
    lines = small_table_path.read_text().splitlines()
    spoil(lines)
    small_table_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(TableError, match=expected) as error:
        NB201Table.load(small_table_path, allow_partial=True)
    _assert_names_everything(error.value, small_table_path)
