"""Builds the compact accuracy table from the official NATS-Bench archive (run once, before any lookup).

Usage::

    python -m nat_env.nb201.convert path/to/NATS-tss-v1_0-3ffb9-simple nb201_tss_accuracies.csv

Files are read one at a time (each record is a few hundred kB once decompressed, the whole archive
several GB), so memory stays small; only the twelve numbers per cell are kept. Exit codes: 0 success,
1 a conversion error, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from nat_env.nb201.archive import ARCHIVE_NAME, ArchiveError, read_row, record_files
from nat_env.nb201.cells import N_CELLS
from nat_env.nb201.schema import TableRow, write_table

PROGRESS_EVERY = 500
"""Files between two progress lines."""


def convert(
    archive_dir: str | Path,
    output: str | Path,
    limit: int | None = None,
    progress: bool | TextIO = True,
) -> int:
    """Convert an archive directory into a compact CSV.

    The CSV is written to a temporary file beside ``output`` and renamed at the end, so an interrupted
    run leaves no half-written table.

    Args:
        archive_dir: the ``NATS-tss-v1_0-3ffb9-simple`` directory (``<index>.pickle.pbz2`` files).
        output: the CSV to write (overwritten).
        limit: convert only the first ``limit`` cells by index (a partial table).
        progress: where progress lines go: ``True`` for stderr, ``False`` for silence, or a stream.

    Returns:
        The number of rows written.

    Raises:
        FileNotFoundError: if ``archive_dir`` is no directory or holds no record files.
        ArchiveError: if a file is not a NATS-Bench topology record, or two files hold the same cell.
        ForbiddenGlobalError: if a file names a global outside the reader's allowed set.
        ValueError: if ``limit`` is not positive.
    """
    archive = Path(archive_dir)
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be positive, got {limit}")
    if not archive.is_dir():
        raise FileNotFoundError(f"{archive}: no such directory (expected the {ARCHIVE_NAME} archive)")
    files = record_files(archive)
    if not files:
        raise FileNotFoundError(
            f"{archive}: no <index>.pickle.pbz2 files (expected the {ARCHIVE_NAME} archive)"
        )
    files = files[:limit]
    stream = (sys.stderr if progress else None) if isinstance(progress, bool) else progress
    rows: list[TableRow] = []
    seen: dict[tuple[int, ...], Path] = {}
    start = time.perf_counter()
    for count, path in enumerate(files, start=1):
        row = read_row(path)
        if row.ops in seen:
            raise ArchiveError(f"{path}: the same cell as {seen[row.ops]}")
        seen[row.ops] = path
        rows.append(row)
        if stream is not None and (count % PROGRESS_EVERY == 0 or count == len(files)):
            elapsed = time.perf_counter() - start
            print(f"{count}/{len(files)} cells read ({elapsed:.0f} s)", file=stream, flush=True)
    written = write_table(output, rows)  # atomically
    if stream is not None:
        note = "" if written == N_CELLS else " (a partial table: load it with allow_partial=True)"
        print(f"wrote {written} rows to {output}{note}", file=stream)
    return written


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m nat_env.nb201.convert",
        description=f"Convert the official NATS-Bench topology archive ({ARCHIVE_NAME}/) into the compact "
        "NAS-Bench-201 accuracy CSV that NB201Table loads.",
    )
    parser.add_argument("archive_dir", type=Path, help=f"the {ARCHIVE_NAME} directory")
    parser.add_argument("output_csv", type=Path, help="the CSV to write (overwritten)")
    parser.add_argument("--limit", type=_positive, default=None, help="convert only the first N cells")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    if not args.output_csv.parent.is_dir():
        parser.error(f"output directory {str(args.output_csv.parent)!r} does not exist")
    try:
        convert(args.archive_dir, args.output_csv, args.limit, progress=not args.quiet)
    except (OSError, ValueError, pickle.UnpicklingError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
