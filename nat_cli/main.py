"""The ``nat`` entry point: one parser with a subcommand per task, one-line errors, exit codes.

Only the module of the command asked for is imported (and it imports torch only when it runs), so
``nat --help`` and ``nat COMMAND --help`` answer without loading torch.

Exit codes: 0 success; 1 a runtime error (missing data, malformed genotype, refused resume), reported as
``nat <command>: error: <message>`` (``--debug`` shows the traceback instead); 2 bad arguments, reported
as ``nat: error: <message>``; 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any, NoReturn

from nat_env.flags import add_arguments, from_namespace, plain, positive_int
from nat_env.progress import show_progress

COMMANDS: dict[str, str] = {
    "train": "train a policy on a NAT env (checkpoints, resume)",
    "transform": "transform one genotype with a trained policy",
    "scratch": "train a genotype from scratch and test it (the paper's evaluation)",
    "pretrain": "train a supernet environment's supernet (one process or torchrun) and write its checkpoint",
    "cost": "parameters and multiply-adds of a genotype",
    "table": "NAS-Bench-201 table tools",
    "bench": "run a benchmark (flags go to it)",
}
"""Subcommands and their one-line summaries; each is a module ``nat_cli.<name>`` with ``run(config)`` and
either ``ARGS``, its configuration dataclass (whose fields become its flags and whose module docstring its
help, see :func:`add_command`), or its own ``add_parser(subparsers)`` and ``from_namespace(namespace)``
(nested actions, checks across flags); ``from_namespace`` may also stand beside ``ARGS``, and
``default_threads(config)`` is optional."""
THREADS_HELP = (
    "torch threads; default: the command's (nat train: 1 on the NAS-Bench-201 table envs, whose small "
    "policy networks run fastest on one thread, see benchmarks/results/learner_speed; elsewhere torch's "
    "own, one per core)"
)


def command_module(name: str) -> ModuleType:
    """The module of one subcommand (its import-time FutureWarnings hidden)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return import_module(f"nat_cli.{name}")


def requested_command(argv: Sequence[str]) -> str | None:
    """The subcommand an argument list names (the first argument that is one), or ``None``."""
    return next((argument for argument in argv if argument in COMMANDS), None)


class Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line: ``nat: error: <message>``, exit status 2."""

    def error(self, message: str) -> NoReturn:
        hint = self.prog if self.prog != "nat" else "nat"
        self.exit(2, f"nat: error: {message} (see '{hint} --help')\n")


def build_parser(command: str | None = None) -> Parser:
    """The ``nat`` parser; only ``command``'s subparser has its flags (the others list their summary)."""
    parser = Parser(
        prog="nat",
        description="nat-gym: Neural Architecture Transformer as a Gymnasium benchmark.",
        epilog="Run 'nat COMMAND --help' for a command's flags.",
    )
    parser.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=Parser)
    for name, summary in COMMANDS.items():
        if name != command:
            subparsers.add_parser(name, help=summary)
            continue
        add_command(subparsers, name, command_module(name))
        for command_parser in _parsers_below(subparsers.choices[name]):
            command_parser.add_argument(
                "--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks of errors"
            )
            command_parser.add_argument("--threads", type=positive_int, default=None, help=THREADS_HELP)
    return parser


def add_command(subparsers: argparse._SubParsersAction[Parser], name: str, module: ModuleType) -> None:
    """Register the subcommand ``name``: by the module's own ``add_parser``, else one flag per field of its
    ``ARGS`` dataclass under its module docstring (line breaks kept)."""
    if hasattr(module, "add_parser"):
        module.add_parser(subparsers)
        return
    parser = subparsers.add_parser(
        name, description=plain(module.__doc__), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_arguments(parser, module.ARGS)


def configuration(module: ModuleType, namespace: argparse.Namespace) -> Any:
    """A subcommand's configuration from parsed flags: the module's ``from_namespace``, else its ``ARGS``.

    Raises:
        ValueError: as the module's ``from_namespace`` does, for flags that do not go together.
    """
    if hasattr(module, "from_namespace"):
        return module.from_namespace(namespace)
    return from_namespace(module.ARGS, namespace)


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
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(requested_command(arguments))
    namespace = parser.parse_args(arguments)
    command: str = namespace.command
    module = command_module(command)
    debug = bool(getattr(namespace, "debug", False))
    try:
        config = configuration(module, namespace)
    except ValueError as error:
        _command_parser(parser, namespace).error(_one_line(error))
    threads = namespace.threads or getattr(module, "default_threads", lambda _: None)(config)
    if threads is not None:
        import torch

        torch.set_num_threads(threads)  # provenance() records it in every run folder and result file
    runner: Callable[[Any], int] = module.run
    label = f"nat {command}"
    show_progress()  # what long phases (warm-up, scoring) will do, and their progress
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
