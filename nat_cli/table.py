"""``nat table build``: the compact NAS-Bench-201 table from the official NATS-Bench topology archive."""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from nat_cli import CommandError
from nat_cli.arguments import field_help, plain, positive_int
from nat_env.nb201.convert import convert


@dataclass
class TableBuildArgs:
    """Configuration of ``nat table build``."""

    archive_dir: str
    """The NATS-Bench topology archive folder (NATS-tss-v1_0-3ffb9-simple/: meta.pickle.pbz2 and one file per cell)."""
    output_csv: str
    """The compact CSV to write (what NAT_NB201_TABLE points at)."""
    limit: int | None = None
    """Convert only the first N cells (a partial table, for checks)."""
    progress: bool = True
    """Show conversion progress."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``nat table`` and its ``build`` action."""
    h = field_help(TableBuildArgs)
    parser = subparsers.add_parser("table", help="NAS-Bench-201 table tools", description=plain(__doc__))
    actions = parser.add_subparsers(dest="action", metavar="{build}", required=True)
    build = actions.add_parser(
        "build", help="convert the NATS-Bench archive to the compact CSV", description=plain(__doc__)
    )
    build.add_argument("archive_dir", help=h["archive_dir"])
    build.add_argument("output_csv", help=h["output_csv"])
    build.add_argument("--limit", type=positive_int, help=h["limit"])
    build.add_argument(
        "--no-progress", dest="progress", action="store_false", help="do not " + h["progress"].lower()
    )
    return build


def from_namespace(namespace: argparse.Namespace) -> TableBuildArgs:
    """The configuration from parsed flags."""
    return TableBuildArgs(**{f.name: getattr(namespace, f.name) for f in dataclasses.fields(TableBuildArgs)})


def run(args: TableBuildArgs) -> int:
    """Convert; exit status 0."""
    if not Path(args.archive_dir).is_dir():
        raise CommandError(f"no such archive folder: {args.archive_dir}")
    rows = convert(args.archive_dir, args.output_csv, limit=args.limit, progress=args.progress)
    if not args.progress:  # convert() reports the rows itself when it shows progress
        print(f"wrote {rows} rows to {args.output_csv}")
    return 0
