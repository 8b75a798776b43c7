"""``nat bench NAME [ARGS...]``: run a benchmark script of :mod:`benchmarks` with its own flags.

``nat bench learners --smoke`` is ``python -m benchmarks.learners --smoke``; ``nat bench NAME --help``
shows the benchmark's flags.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from dataclasses import dataclass, field

BENCHMARKS = (
    "reference",
    "env_speed",
    "learner_speed",
    "cli_speed",
    "learners",
    "supernet_speed",
    "supernet_profile",
    "fidelity",
    "published",
    "scratch",
    "end_to_end",
    "pretrain_scaling",
    "standalone_ceiling",
)
"""The studies: ``nat bench NAME`` runs ``benchmarks/NAME.py``, which writes to ``benchmarks/results/NAME/``."""


@dataclass
class BenchArgs:
    """Configuration of ``nat bench``."""

    name: str = field(metadata={"positional": True, "choices": BENCHMARKS})
    """The benchmark: reference (NB201 oracle / random / keep), env_speed (NB201 env steps per second), learner_speed (nat train's learner, policy forward and env steps beside PPO on CartPole; one thread vs torch's default), cli_speed (how long nat --help and each command's help take), learners (learners vs the oracle), supernet_speed (supernet training and reward speed), supernet_profile (where a reward pass spends its time), fidelity (supernet vs NAS-Bench-201 ranking), published (published cells through the supernet env), scratch (published pairs trained from scratch over seeds), end_to_end (what picks α on supernet rewards and its remedies, over supernet seeds, scored by the table), pretrain_scaling (supernet pre-training on 1 vs N processes) or standalone_ceiling (the supernet's network trained alone per cell: the bias per op)."""
    args: list[str] = field(default_factory=list, metadata={"positional": True, "nargs": argparse.REMAINDER})
    """Flags passed on to the benchmark (see nat bench NAME --help)."""


ARGS = BenchArgs
"""The flags of ``nat bench`` (:func:`nat_cli.main.add_command`)."""


def run(args: BenchArgs) -> int:
    """Run the benchmark's ``main``; its exit status (0 when it returns nothing)."""
    module = importlib.import_module(f"benchmarks.{args.name}")
    entry = module.main
    # The benchmark's parser names itself after argv[0]; those without an argv parameter read sys.argv.
    saved = sys.argv
    sys.argv = [f"nat bench {args.name}", *args.args]
    try:
        takes_argv = bool(inspect.signature(entry).parameters)
        status = entry(list(args.args)) if takes_argv else entry()
    except SystemExit as stop:
        if not isinstance(stop.code, str):  # argparse's own exits (--help, usage errors) pass through
            raise
        print(f"nat bench {args.name}: error: {stop.code}", file=sys.stderr)  # a benchmark's check
        return 2
    finally:
        sys.argv = saved
    return status if isinstance(status, int) else 0
