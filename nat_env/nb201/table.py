"""The NAS-Bench-201 accuracy table: the data behind the exact evaluator, loaded from the compact CSV.

The compact CSV (written by :func:`write_table`, built from the official NATS-Bench archive by
:mod:`nat_env.nb201.convert`) holds one row per cell of the NAS-Bench-201 / NATS-Bench topology space:

    index,arch_str,e0,...,e5,c10_val_200,c10_test_200,c10_rank_test_200,c100_val_200,...,in16_test_12

``index`` is the official NAS-Bench-201 index, ``e0..e5`` the op ids of :data:`nat_env.ops.NB201_OPS`
per edge (edge order 0→1, 0→2, 1→2, 0→3, 1→3, 2→3) and the accuracy columns top-1 percentages, mean
over seeds. A cell's *code* is ``sum(op_id[e] * 5**e)`` (see :mod:`nat_env.nb201.cells`), a
dense key in ``0 .. 5**6 - 1``: a lookup array maps every code to its table row, so a batch of codes is
looked up with one numpy indexing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from nat_env import ops as _ops
from nat_env.genotypes import Genotype, format_nb201
from nat_env.nb201.archive import ARCHIVE_NAME, ARCHIVE_SOURCE
from nat_env.nb201.cells import N_CELLS, N_EDGES, arch_str, code_of, codes_of, genotype_of, ops_of
from nat_env.nb201.schema import (
    ACCURACY_COLUMNS,
    COLUMNS,
    EDGE_COLUMNS,
    RANK_COLUMN,
    TableRow,
    column_name,
)

ENV_VAR = "NAT_NB201_TABLE"
HOW_TO_GET = (
    f"pass the path of a compact NAS-Bench-201 CSV as table_path or set the {ENV_VAR} environment variable; "
    f"`nat table build {ARCHIVE_NAME}/ table.csv` builds one from the official NATS-Bench topology archive "
    f"{ARCHIVE_NAME} (published in {ARCHIVE_SOURCE})"
)
"""The fix named by every missing- or bad-table message."""
"""Environment variable holding the path of the compact CSV when no path is given."""

_NUMERIC = [i for i, name in enumerate(COLUMNS) if name != "arch_str"]


class TableError(ValueError):
    """A compact NAS-Bench-201 table that cannot be used (malformed, inconsistent or incomplete)."""


class TableNotFoundError(TableError, FileNotFoundError):
    """No compact NAS-Bench-201 table at the given path, or no path given at all."""


def _cell_name(code: int) -> str:
    return arch_str(ops_of(code).tolist())


def _message(source: object, problem: str) -> str:
    """An error message that names the file and says how to point the code at a good one."""
    return f"NAS-Bench-201 table {str(source)!r}: {problem}. To fix it, {HOW_TO_GET}"


def _first_non_number(lines: list[str]) -> str:
    """Where the first non-numeric value of the numeric columns is (the slow path after a parse error)."""
    for number, line in enumerate(lines, start=2):
        fields = line.split(",")
        for column in _NUMERIC:
            try:
                float(fields[column])
            except ValueError:
                return f"line {number}, column {COLUMNS[column]}: {fields[column]!r} is not a number"
    return "a value that is not a number"


class NB201Table:
    """Accuracies of NAS-Bench-201 cells, looked up by genotype or, vectorised, by cell code.

    Accuracies are stored as in the file (percent, ``float32``); the lookup methods return fractions in
    [0, 1] as ``float64``, the unit of :class:`nat_env.evaluation.Evaluation`.

    Args:
        ops: op ids per row. Shapes: ``(R, 6)``.
        indices: official NAS-Bench-201 index per row. Shapes: ``(R,)``.
        accuracies: percent per accuracy column (keys :data:`ACCURACY_COLUMNS`). Shapes: ``(R,)`` each.
        ranks: ``c10_rank_test_200`` per row. Shapes: ``(R,)``.
        source: where the rows came from, named in error messages.
        allow_partial: accept fewer rows than the 15,625 cells of the space.

    Raises:
        TableError: on wrong shapes, op ids outside 0..4, duplicate cells or indices, accuracies outside
            [0, 100], or (unless ``allow_partial``) a row count other than 15,625.

    Attributes:
        ops: ``int8`` op ids per row. Shapes: ``(R, 6)``.
        indices: ``int32`` official indices per row. Shapes: ``(R,)``.
        ranks: ``int32`` CIFAR-10 test ranks per row. Shapes: ``(R,)``.
        cell_codes: ``int64`` cell code per row. Shapes: ``(R,)``.
        row_of_code: ``int32`` table row of every code, -1 where the table lacks the cell.
            Shapes: ``(5**6,)``.
        path: the file the table was loaded from, if any.
    """

    def __init__(
        self,
        ops: npt.ArrayLike,
        indices: npt.ArrayLike,
        accuracies: Mapping[str, npt.ArrayLike],
        ranks: npt.ArrayLike,
        *,
        source: str | Path = "<arrays>",
        allow_partial: bool = False,
    ) -> None:
        op_array = np.asarray(ops)
        if op_array.ndim != 2 or op_array.shape[1] != N_EDGES:
            raise TableError(_message(source, f"ops must have shape (rows, 6), got {op_array.shape}"))
        n_rows = op_array.shape[0]
        if op_array.size and (op_array.min() < 0 or op_array.max() >= len(_ops.NB201_OPS)):
            raise TableError(_message(source, f"op ids must lie in 0..{len(_ops.NB201_OPS) - 1}"))
        if not allow_partial and n_rows != N_CELLS:
            raise TableError(
                _message(
                    source, f"expected {N_CELLS} rows, found {n_rows} (pass allow_partial=True for a subset)"
                )
            )
        if set(accuracies) != set(ACCURACY_COLUMNS):
            raise TableError(
                _message(source, f"accuracies must have the columns {', '.join(ACCURACY_COLUMNS)}")
            )
        self.ops: npt.NDArray[np.int8] = op_array.astype(np.int8)
        self.indices: npt.NDArray[np.int32] = self._column(indices, n_rows, "index", source).astype(np.int32)
        self.ranks: npt.NDArray[np.int32] = self._column(ranks, n_rows, RANK_COLUMN, source).astype(np.int32)
        self._percent: dict[str, npt.NDArray[np.float32]] = {}
        for name in ACCURACY_COLUMNS:
            values = self._column(accuracies[name], n_rows, name, source).astype(np.float32)
            if not (np.isfinite(values).all() and (values >= 0).all() and (values <= 100).all()):
                raise TableError(_message(source, f"column {name} must hold percentages in [0, 100]"))
            values.flags.writeable = False
            self._percent[name] = values
        if np.unique(self.indices).size != n_rows or (
            n_rows and (self.indices.min() < 0 or self.indices.max() >= N_CELLS)
        ):
            raise TableError(_message(source, f"indices must be distinct and lie in 0..{N_CELLS - 1}"))
        self.cell_codes: npt.NDArray[np.int64] = codes_of(self.ops)
        self.row_of_code: npt.NDArray[np.int32] = np.full(N_CELLS, -1, np.int32)
        self.row_of_code[self.cell_codes] = np.arange(n_rows, dtype=np.int32)
        if n_rows and (self.row_of_code >= 0).sum() != n_rows:
            codes, counts = np.unique(self.cell_codes, return_counts=True)
            duplicate = int(codes[counts > 1][0])
            indices = [int(i) for i in self.indices[self.cell_codes == duplicate]]
            raise TableError(
                _message(source, f"cell {_cell_name(duplicate)} appears more than once (indices {indices})")
            )
        for array in (self.ops, self.indices, self.ranks, self.cell_codes, self.row_of_code):
            array.flags.writeable = False
        self.path: Path | None = None

    @staticmethod
    def _column(values: npt.ArrayLike, n_rows: int, name: str, source: object) -> npt.NDArray[np.generic]:
        array = np.asarray(values)
        if array.shape != (n_rows,):
            raise TableError(
                _message(source, f"column {name} must have shape ({n_rows},), got {array.shape}")
            )
        return array

    @classmethod
    def load(cls, path: str | Path | None = None, *, allow_partial: bool = False) -> NB201Table:
        """Read a compact CSV.

        Args:
            path: the CSV; ``None`` reads the path from the ``NAT_NB201_TABLE`` environment variable.
            allow_partial: accept a table with fewer rows than the 15,625 cells.

        Raises:
            TableNotFoundError: if no path is given and the variable is unset, or the file is absent.
            TableError: if the file is malformed (see :class:`NB201Table`; also a wrong header, a
                non-numeric value, a non-integral index, op id or rank, or an ``arch_str`` that
                disagrees with ``e0..e5``).
        """
        if path is None:
            value = os.environ.get(ENV_VAR)
            if not value:
                raise TableNotFoundError(f"no NAS-Bench-201 table given: {HOW_TO_GET}")
            path = value
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TableNotFoundError(_message(path, "no such file")) from None
        except (OSError, UnicodeDecodeError) as error:
            raise TableError(_message(path, f"cannot read it ({error})")) from None
        lines = text.splitlines()
        found = tuple(name.strip() for name in lines[0].split(",")) if lines else ()
        if found != COLUMNS:
            missing = [name for name in COLUMNS if name not in found]
            extra = [name for name in found if name not in COLUMNS]
            problem = (
                f"wrong header (missing: {', '.join(missing) or '-'}; unexpected: {', '.join(extra) or '-'}; "
                f"expected, in order: {','.join(COLUMNS)})"
            )
            raise TableError(_message(path, problem))
        lines = lines[1:]
        while lines and not lines[-1].strip():
            lines.pop()
        for number, line in enumerate(lines, start=2):
            if line.count(",") != len(COLUMNS) - 1:
                problem = f"line {number} has {line.count(',') + 1} fields, expected {len(COLUMNS)}"
                raise TableError(_message(path, problem))
        try:
            numbers = np.loadtxt(
                lines, delimiter=",", usecols=_NUMERIC, dtype=np.float64, ndmin=2, comments=None
            )
        except ValueError:
            raise TableError(_message(path, _first_non_number(lines))) from None
        columns = dict(zip((COLUMNS[i] for i in _NUMERIC), numbers.T, strict=True))
        for name in ("index", *EDGE_COLUMNS, RANK_COLUMN):
            fractional = np.flatnonzero(columns[name] != np.round(columns[name]))
            if fractional.size:
                problem = f"line {fractional[0] + 2}, column {name}: {columns[name][fractional[0]]} is not an integer"
                raise TableError(_message(path, problem))
        ops = np.stack([columns[name] for name in EDGE_COLUMNS], axis=1).astype(np.int64)
        table = cls(
            ops,
            columns["index"],
            {name: columns[name] for name in ACCURACY_COLUMNS},
            columns[RANK_COLUMN],
            source=path,
            allow_partial=allow_partial,
        )
        names = [line.split(",", 2)[1] for line in lines]
        expected = [arch_str(row) for row in ops.tolist()]
        if names != expected:
            row = next(i for i, (a, b) in enumerate(zip(names, expected, strict=True)) if a != b)
            problem = f"line {row + 2}: arch_str {names[row]!r} disagrees with e0..e5 ({expected[row]})"
            raise TableError(_message(path, problem))
        table.path = path
        return table

    def __len__(self) -> int:
        return int(self.ops.shape[0])

    def __repr__(self) -> str:
        return f"NB201Table({len(self)} cells, path={str(self.path) if self.path else None!r})"

    def code(self, genotype: Genotype) -> int:
        """The cell code of a genotype (see :func:`code_of`); the cell need not be in the table."""
        return code_of(genotype)

    def codes(self, genotypes: Iterable[Genotype]) -> npt.NDArray[np.int64]:
        """Cell codes of many genotypes. Shapes: ``(B,)``."""
        return np.array([code_of(g) for g in genotypes], np.int64)

    def rows_of(self, codes: npt.ArrayLike) -> npt.NDArray[np.int32]:
        """Table rows of cell codes, -1 for cells the table lacks. Shapes: ``(...)`` → ``(...)``.

        Raises:
            ValueError: for a code outside ``0 .. 5**6 - 1``.
        """
        codes = np.asarray(codes)
        if codes.size and (codes.min() < 0 or codes.max() >= N_CELLS):
            raise ValueError(f"cell codes must lie in 0..{N_CELLS - 1}")
        rows: npt.NDArray[np.int32] = self.row_of_code[codes]
        return rows

    def percent(
        self, dataset: str = "cifar10", split: str = "val", epochs: int = 200
    ) -> npt.NDArray[np.float32]:
        """One accuracy column in percent, in row order (read-only). Shapes: ``(R,)``."""
        return self._percent[column_name(dataset, split, epochs)]

    def accuracies(
        self,
        codes: npt.ArrayLike,
        dataset: str = "cifar10",
        split: str = "val",
        epochs: int = 200,
        *,
        missing: float | None = None,
    ) -> npt.NDArray[np.float64]:
        """Accuracies (fractions in [0, 1]) of many cells at once. Shapes: ``(...)`` → ``(...)``.

        Args:
            codes: cell codes (see :func:`code_of`).
            dataset: ``cifar10``, ``cifar100`` or ``imagenet16``.
            split: ``val`` (for rewards and selection) or ``test`` (for reports only).
            epochs: 200 or 12.
            missing: the value for cells the table lacks; ``None`` raises instead.

        Raises:
            KeyError: for a cell the table lacks when ``missing`` is ``None``; names the cell.
            ValueError: for an unknown dataset, split or epochs, or a code out of range.
        """
        column = self.percent(dataset, split, epochs)
        rows = self.rows_of(codes)
        absent = rows < 0
        values = column[rows].astype(np.float64) / 100.0
        if absent.any():
            if missing is None:
                first = int(np.asarray(codes)[absent].flat[0])
                raise KeyError(f"cell {_cell_name(first)} is not in {self._source()}")
            values[absent] = missing
        return values

    def dense(
        self, dataset: str = "cifar10", split: str = "val", epochs: int = 200
    ) -> npt.NDArray[np.float64]:
        """Accuracy (fraction) of every cell code, NaN where the table lacks the cell. Shapes: ``(5**6,)``.

        Indexing the result with codes is the fastest lookup; see :meth:`accuracies` for the arguments.
        """
        return self.accuracies(np.arange(N_CELLS), dataset, split, epochs, missing=np.nan)

    def accuracy(
        self, genotype: Genotype, dataset: str = "cifar10", split: str = "val", epochs: int = 200
    ) -> float:
        """The accuracy (a fraction in [0, 1]) of one cell; see :meth:`accuracies` for the arguments.

        Raises:
            KeyError: if the table lacks the cell; the message gives its NAS-Bench-201 string.
        """
        return float(self.accuracies(np.array(code_of(genotype)), dataset, split, epochs))

    def genotype(self, row: int) -> Genotype:
        """The genotype of a table row (in the full table, row ``i`` holds NAS-Bench-201 index ``i``).

        Raises:
            IndexError: for a row outside ``0 .. len(self) - 1``.
        """
        if not 0 <= row < len(self):
            raise IndexError(f"row {row} outside 0..{len(self) - 1}")
        return genotype_of(self.ops[row])

    def index_of(self, genotype: Genotype) -> int:
        """The official NAS-Bench-201 index of a cell.

        Raises:
            KeyError: if the table lacks the cell; the message gives its NAS-Bench-201 string.
        """
        row = int(self.row_of_code[code_of(genotype)])
        if row < 0:
            raise KeyError(f"cell {format_nb201(genotype)} is not in {self._source()}")
        return int(self.indices[row])

    def row(self, row: int) -> TableRow:
        """One row as written to the CSV."""
        return TableRow(
            int(self.indices[row]),
            tuple(int(op) for op in self.ops[row]),
            {name: float(values[row]) for name, values in self._percent.items()},
            int(self.ranks[row]),
        )

    def __iter__(self) -> Iterator[TableRow]:
        return (self.row(i) for i in range(len(self)))

    def _source(self) -> str:
        return f"the table {str(self.path)!r}" if self.path else "the table"
