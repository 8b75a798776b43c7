"""The official NATS-Bench archive reader and the converter: real records, tampered files, the command line."""

from __future__ import annotations

import bz2
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from nat_env.nb201.archive import (
    ArchiveError,
    extract,
    load_file,
    load_meta,
    read_row,
    record_files,
    restricted_loads,
)
from nat_env.nb201.cells import arch_str
from nat_env.nb201.convert import convert, main
from nat_env.nb201.schema import ACCURACY_COLUMNS
from nat_env.nb201.table import NB201Table

FIXTURE_INDICES = (0, 11, 284)


def test_fixtures_parse(nats_fixtures: Path) -> None:
    files = record_files(nats_fixtures)
    assert [int(f.name.split(".")[0]) for f in files] == list(FIXTURE_INDICES)
    record = load_file(files[0])
    assert set(record) == {"12", "200"}
    assert record["200"]["arch_index"] == 0
    assert record["200"]["dataset_seed"]["cifar10"] == [777, 888, 999]
    archs = load_meta(nats_fixtures)
    assert len(archs) == 15_625
    for path in files:
        row = read_row(path)
        assert archs[row.index] == arch_str(row.ops)


def test_restricted_reader_matches_plain_pickle(nats_fixtures: Path) -> None:
    path = record_files(nats_fixtures)[1]
    data = bz2.decompress(path.read_bytes())
    assert restricted_loads(data) == pickle.loads(data)


@pytest.mark.parametrize("index", FIXTURE_INDICES)
def test_extraction_equals_the_table(index: int, nats_fixtures: Path, nb201_csv: Path) -> None:
    row = read_row(nats_fixtures / f"{index:06d}.pickle.pbz2")
    line = nb201_csv.read_text().splitlines()[index + 1].split(",")
    assert int(line[0]) == row.index == index
    assert line[1] == arch_str(row.ops)
    header = nb201_csv.read_text().partition("\n")[0].split(",")
    for name in ACCURACY_COLUMNS:
        assert f"{row.accuracies[name]:.6f}" == line[header.index(name)], name


class _Boom:
    """Unpickling this calls ``os.system``: what a tampered archive file could do."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("echo pwned > /dev/null",))


def test_restricted_reader_refuses_other_globals(tmp_path: Path) -> None:
    payload = pickle.dumps({"200": {"arch_index": 0, "x": _Boom()}})
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to load the global (posix|nt|os)\.system"):
        restricted_loads(payload)
    path = tmp_path / "000000.pickle.pbz2"
    path.write_bytes(bz2.compress(payload))
    with pytest.raises(pickle.UnpicklingError, match=str(path)):
        load_file(path)
    with pytest.raises(pickle.UnpicklingError, match=r"builtins\.eval"):
        restricted_loads(pickle.dumps(eval))


def test_numpy_values_are_allowed() -> None:
    value = {"a": np.float64(1.5), "b": np.arange(3), "c": [np.int64(2)]}
    loaded = restricted_loads(pickle.dumps(value))
    assert loaded["a"] == 1.5
    assert (loaded["b"] == np.arange(3)).all()


def test_bad_files(tmp_path: Path) -> None:
    not_bz2 = tmp_path / "000001.pickle.pbz2"
    not_bz2.write_bytes(b"plain text")
    with pytest.raises(ArchiveError, match="bz2"):
        load_file(not_bz2)
    not_pickle = tmp_path / "000002.pickle.pbz2"
    not_pickle.write_bytes(bz2.compress(b"plain text"))
    with pytest.raises(ArchiveError, match="pickle"):
        load_file(not_pickle)
    with pytest.raises(ArchiveError, match="not a NATS-Bench topology record"):
        extract({"200": {"arch_index": 0}}, "somewhere")


def test_file_name_must_match_index(nats_fixtures: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "000012.pickle.pbz2"
    shutil.copy(nats_fixtures / "000011.pickle.pbz2", wrong)
    with pytest.raises(ArchiveError, match="index 12"):
        read_row(wrong)


@pytest.fixture
def archive_copy(nats_fixtures: Path, tmp_path: Path) -> Path:
    archive = tmp_path / "NATS-tss-v1_0-3ffb9-simple"
    shutil.copytree(nats_fixtures, archive)
    return archive


def test_convert_writes_a_loadable_partial_table(
    archive_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "table.csv"
    assert convert(archive_copy, output) == 3
    assert "wrote 3 rows" in capsys.readouterr().err
    table = NB201Table.load(output, allow_partial=True)
    assert table.indices.tolist() == list(FIXTURE_INDICES)
    assert sorted(table.ranks.tolist()) == [1, 2, 3]
    assert table.percent("cifar10", "val")[0] == pytest.approx(81.982667, abs=1e-4)
    assert convert(archive_copy, output, limit=2, progress=False) == 2
    assert len(NB201Table.load(output, allow_partial=True)) == 2
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_convert_refuses_duplicate_cells(archive_copy: Path, tmp_path: Path) -> None:
    data = load_file(archive_copy / "000011.pickle.pbz2")
    for info in data.values():
        info["arch_index"] = 12
    (archive_copy / "000012.pickle.pbz2").write_bytes(bz2.compress(pickle.dumps(data)))
    with pytest.raises(ArchiveError, match="the same cell"):
        convert(archive_copy, tmp_path / "table.csv", progress=False)
    assert not (tmp_path / "table.csv").exists()


def test_command_line(archive_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "cli.csv"
    assert main([str(archive_copy), str(output), "--limit", "1", "--quiet"]) == 0
    assert len(NB201Table.load(output, allow_partial=True)) == 1
    assert main([str(tmp_path / "absent"), str(output)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ")
    assert err.count("\n") == 1
    for bad in (["--limit", "0"], ["--limit", "x"]):
        with pytest.raises(SystemExit) as exit_info:
            main([str(archive_copy), str(output), *bad])
        assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main([str(archive_copy), str(tmp_path / "no" / "dir.csv")])
    assert exit_info.value.code == 2
