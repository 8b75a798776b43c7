"""``nat table build``: the compact NAS-Bench-201 table from the official NATS-Bench topology archive."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from pathlib import Path

from nat_cli import CommandError
from nat_env.flags import add_arguments, plain, positive_int
from nat_env.flags import from_namespace as dataclass_from_namespace
from nat_env.nb201.convert import convert


@dataclass
class TableBuildArgs:
    """Configuration of ``nat table build``."""

    archive_dir: str = field(metadata={"positional": True})
    """The NATS-Bench topology archive folder (NATS-tss-v1_0-3ffb9-simple/: meta.pickle.pbz2 and one file per cell)."""
    output_csv: str = field(metadata={"positional": True})
    """The compact CSV to write (what NAT_NB201_TABLE points at)."""
    limit: int | None = field(default=None, metadata={"type": positive_int})
    """Convert only the first N cells (a partial table, for checks)."""
    progress: bool = True
    """Show conversion progress."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``nat table`` and its ``build`` action."""
    parser = subparsers.add_parser("table", description=plain(__doc__))
    actions = parser.add_subparsers(dest="action", metavar="{build}", required=True)
    build = actions.add_parser(
        "build", help="convert the NATS-Bench archive to the compact CSV", description=plain(__doc__)
    )
    add_arguments(build, TableBuildArgs)
    return build


def from_namespace(namespace: argparse.Namespace) -> TableBuildArgs:
    """The configuration from parsed flags."""
    return dataclass_from_namespace(TableBuildArgs, namespace)


def run(args: TableBuildArgs) -> int:
    """Convert; exit status 0."""
    if not Path(args.archive_dir).is_dir():
        raise CommandError(f"no such archive folder: {args.archive_dir}")
    rows = convert(args.archive_dir, args.output_csv, limit=args.limit, progress=args.progress)
    if not args.progress:  # convert() reports the rows itself when it shows progress
        print(f"wrote {rows} rows to {args.output_csv}")
    return 0
