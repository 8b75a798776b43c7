"""The ``nat`` entry point: one parser with a subcommand per task, one-line errors, exit codes.

Exit codes: 0 success; 1 a runtime error (missing data, malformed genotype, refused resume), reported as
``nat <command>: error: <message>`` (``--debug`` shows the traceback instead); 2 bad arguments, reported
as ``nat: error: <message>``; 130 interrupted.
"""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from collections.abc import Callable, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any, NoReturn

COMMANDS = ("train", "transform", "scratch", "pretrain", "cost", "table", "bench")
"""Subcommands; each is a module ``nat_cli.<name>`` with ``add_parser``, ``from_namespace`` and ``run``."""


def command_modules() -> dict[str, ModuleType]:
    """The subcommand modules (importing torch and friends; their import-time FutureWarnings are hidden)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return {name: import_module(f"nat_cli.{name}") for name in COMMANDS}


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: ``nat: error: <message>``, exit status 2."""

    def error(self, message: str) -> NoReturn:
        hint = self.prog if self.prog != "nat" else "nat"
        self.exit(2, f"nat: error: {message} (see '{hint} --help')\n")


def build_parser() -> Parser:
    """The ``nat`` parser with every subcommand."""
    parser = Parser(
        prog="nat",
        description="nat-gym: Neural Architecture Transformer as a Gymnasium benchmark.",
        epilog="Run 'nat COMMAND --help' for a command's flags.",
    )
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    for name, module in command_modules().items():
        module.add_parser(subparsers)
        for command_parser in _parsers_below(subparsers.choices[name]):
            command_parser.add_argument(
                "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors"
            )
    return parser


def _parsers_below(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """A parser's leaf parsers (``table`` → ``table build``); the parser itself if it has none."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return [leaf for child in action.choices.values() for leaf in _parsers_below(child)]
    return [parser]


def _command_parser(
    parser: argparse.ArgumentParser, namespace: argparse.Namespace
) -> argparse.ArgumentParser:
    sub: argparse.ArgumentParser = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices[namespace.command]
    return _parsers_below(sub)[0]


def _one_line(error: BaseException) -> str:
    text = error.args[0] if isinstance(error, KeyError) and error.args else str(error)
    return " ".join(str(text).split()) or type(error).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``nat`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status.

    Usage errors exit through ``SystemExit(2)`` as argparse does.
    """
    parser = build_parser()
    namespace = parser.parse_args(argv)
    command: str = namespace.command
    module = command_modules()[command]
    debug = bool(getattr(namespace, "debug", False))
    try:
        config = module.from_namespace(namespace)
    except ValueError as error:
        _command_parser(parser, namespace).error(_one_line(error))
    runner: Callable[[Any], int] = module.run
    label = f"nat {command}"
    logging.basicConfig(format="%(message)s")
    logging.getLogger("nat_env").setLevel(logging.INFO)  # progress of long steps (supernet warm-up)
    try:
        with warnings.catch_warnings():
            if not debug:
                warnings.filterwarnings("ignore", category=FutureWarning)
            return runner(config)
    except KeyboardInterrupt:
        hint = (
            " (rerun with --resume to continue from the last checkpoint)"
            if command in ("train", "scratch")
            else ""
        )
        print(f"\n{label}: interrupted{hint}", file=sys.stderr)
        return 130
    except Exception as error:
        if debug:
            raise
        print(f"{label}: error: {_one_line(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
