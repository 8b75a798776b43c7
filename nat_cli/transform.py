"""``nat transform``: rewrite one input genotype β into α with a trained policy, and compare the two.

Prints β and α, their parameters and multiply-adds, their validation accuracies (and the evaluator that
gave them), and draws β above α with the changed edges highlighted (``--out``, needs matplotlib).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import nat_env  # noqa: F401 - registers the env ids
from agents.names import ALGORITHMS, SECOND_STAGES
from nat_cli import CommandError
from nat_cli.cost import describe
from nat_cli.genotype_spec import load_genotype
from nat_cli.run_dir import FINAL_MODEL, latest_checkpoint, read_config
from nat_cli.train import learner_of, make_env, policy_name
from nat_env.envs import SPACE_NAMES, cell_space, with_space
from nat_env.flags import add_arguments, non_negative_int, plain, positive_int
from nat_env.flags import from_namespace as dataclass_from_namespace
from nat_env.genotypes import Genotype
from nat_env.render import render_diff

if TYPE_CHECKING:  # torch and the learners load when the command runs, so that --help stays fast
    from agents.inference import Predictor, TransformResult
    from nat_env.cost import Cost

LEARNING_ALGORITHMS = tuple(algo for algo in ALGORITHMS if algo != "random")
"""Algorithms whose checkpoints --algo may name."""
DEFAULT_ENVS = {"nb201": "NAT-NB201-CIFAR10-v0", "darts": "NAT-CIFAR10-v0"}
"""The env used for a genotype's space when neither --env-id nor the checkpoint's run names one."""


@dataclass
class TransformArgs:
    """Configuration of ``nat transform``."""

    genotype: str
    """The input genotype β: a published name, DARTS text, a NAS-Bench-201 string, or a file holding one."""
    checkpoint: str | None = None
    """A checkpoint (.zip) written by nat train, or its run folder (model.zip, else the last checkpoint); none: a random policy."""
    env_id: str | None = None
    """Environment whose evaluator scores β and α (default: the checkpoint run's, else by the genotype's space)."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """Extra keyword arguments of gym.make as key=value (added to those of the checkpoint's run)."""
    method: Literal["sampling", "maximum"] = field(
        default="sampling", metadata={"choices": ("sampling", "maximum"), "type": str}
    )
    """sampling: the best of k samples on validation accuracy; maximum: each edge's most probable choice."""
    k: int = field(default=8, metadata={"type": positive_int, "flags": ("-k",)})
    """Samples for --method sampling."""
    seed: int = 0
    """Seed of the sampling."""
    rerank: int = field(default=0, metadata={"type": non_negative_int})
    """Two-stage selection on a supernet env: fine-tune the K candidates the supernet ranks first, each alone from its weights, and choose by those accuracies (0: off)."""
    rerank_batches: int = field(default=200, metadata={"type": positive_int})
    """Fine-tuning batches per candidate of --rerank (per input with --rerank-stage neighbourhood)."""
    rerank_stage: Literal["finetune", "neighbourhood"] = field(
        default="finetune", metadata={"choices": SECOND_STAGES, "type": str}
    )
    """finetune: each candidate fine-tuned alone; neighbourhood: one copy of the supernet trained on the input's neighbourhood alone (NAT's few-shot split) scores the input and every candidate."""
    out: str | None = None
    """Before/after diagram to write (.png or .svg; needs matplotlib)."""
    device: str = "cpu"
    """Torch device to load the policy on."""
    algo: str | None = field(default=None, metadata={"choices": LEARNING_ALGORITHMS})
    """The checkpoint's algorithm (default: its run's config.json; needed for a model saved from Python)."""
    policy: str | None = field(default=None, metadata={"type": policy_name})
    """The checkpoint's policy: gcn, reference, lstm, mlp or your own as package.module:Class (default: its run's config.json; needed for a model saved from Python)."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``nat transform``."""
    parser = subparsers.add_parser("transform", description=plain(__doc__))
    add_arguments(parser, TransformArgs)
    return parser


def from_namespace(namespace: argparse.Namespace) -> TransformArgs:
    """The configuration from parsed flags.

    Raises:
        ValueError: for an --out suffix other than .png or .svg.
    """
    args = dataclass_from_namespace(TransformArgs, namespace)
    if args.out and Path(args.out).suffix.lower() not in (".png", ".svg"):
        raise ValueError(f"--out must end in .png or .svg, got {args.out}")
    return args


def find_checkpoint(spec: str, learner: dict[str, str] | None = None) -> tuple[Path, dict[str, Any]]:
    """The checkpoint file a ``--checkpoint`` names and the ``args`` of its run's ``config.json``.

    Args:
        spec: a checkpoint file or a run folder.
        learner: ``algo`` and ``policy`` given on the command line; they win over the run's and stand in
            for a ``config.json`` that is absent (a model saved from Python).

    Raises:
        CommandError: for a missing path, a folder without a model, or neither a ``config.json`` nearby
            nor ``learner``.
    """
    learner = learner or {}
    path = Path(spec)
    if path.is_dir():
        run_dir = path
        if (path / FINAL_MODEL).exists():
            path = path / FINAL_MODEL
        else:
            latest = latest_checkpoint(path)
            if latest is None:
                raise CommandError(f"{spec} holds neither {FINAL_MODEL} nor checkpoints/")
            path = latest[1]
    elif path.is_file():
        run_dir = path.parent.parent if path.parent.name == "checkpoints" else path.parent
    else:
        raise CommandError(f"no such checkpoint: {spec}")
    config = read_config(run_dir)
    if config is None and not learner:
        raise CommandError(
            f"no config.json of a nat train run beside {path}: pass --algo and --policy (package.module:Class "
            "for your own) to say how it was trained"
        )
    args: dict[str, Any] = {**(config or {}).get("args", {}), **learner}
    return path, args


def check_spaces(
    beta: Genotype, env_id: str, env_kwargs: dict[str, Any], run: str | None, config: dict[str, Any]
) -> None:
    """Refuse, before anything is built, a policy or a genotype from the other cell space than the env's.

    Args:
        beta: the input genotype.
        env_id: the env that will score β and α, and ``env_kwargs`` its keyword arguments.
        run: the ``--checkpoint`` given, if any, and ``config`` the ``args`` of its run.

    Raises:
        CommandError: naming the env the run was trained on, the genotype's space and what to pass.
    """
    space = cell_space(env_id, env_kwargs)
    trained_on = config.get("env_id")
    if run and trained_on:
        run_space = cell_space(trained_on, config.get("env_kwargs"))
        if space and run_space and run_space != space:
            raise CommandError(
                f"the policy in {run} was trained on {with_space(trained_on, config.get('env_kwargs'))} and "
                f"cannot act on {with_space(env_id, env_kwargs)}: drop --env-id to use {trained_on}, or pass a "
                f"--checkpoint of a run trained on {env_id}"
            )
    if space is None or beta.space == space:
        return
    other = DEFAULT_ENVS[beta.space]
    if run and trained_on:
        trained = with_space(trained_on, config.get("env_kwargs"))
        raise CommandError(
            f"the genotype is made of {SPACE_NAMES[beta.space]} but the policy in {run} was trained on "
            f"{trained}: pass a genotype of {SPACE_NAMES[space]}, or a --checkpoint of a run trained on {other}"
        )
    raise CommandError(
        f"the genotype is made of {SPACE_NAMES[beta.space]} but {with_space(env_id, env_kwargs)} takes "
        f"{SPACE_NAMES[space]}: drop --env-id, or pass --env-id {other}"
    )


def _cost(genotype: Genotype) -> Cost | None:
    from nat_env.cost import count

    try:
        return count(genotype, "cifar10")
    except (ValueError, NotImplementedError):
        return None


def format_result(
    result: TransformResult, evaluator: str, source: str, test: tuple[float, float] | None = None
) -> str:
    """β, α, their costs and accuracies as text (``test``: their test accuracies, reported only)."""
    lines = [
        f"input genotype β ({describe(result.beta)}):",
        f"  {result.beta}",
        f"transformed genotype α ({result.method}, {result.candidates} distinct candidate(s), policy: {source}):",
        f"  {result.alpha}",
        "",
        f"{'':>4} {'params (M)':>11} {'MAdds (M)':>10} {'val acc (%)':>12}"
        + (f" {'test acc (%)':>13}" if test else ""),
    ]
    rows = (("β", result.beta, result.acc_beta), ("α", result.alpha, result.acc_alpha))
    for index, (name, genotype, accuracy) in enumerate(rows):
        cost = _cost(genotype)
        params = f"{cost.params / 1e6:.2f}" if cost else "n/a"
        madds = f"{cost.madds / 1e6:.1f}" if cost else "n/a"
        extra = f" {100 * test[index]:>13.2f}" if test else ""
        lines.append(f"{name:>4} {params:>11} {madds:>10} {100 * accuracy:>12.2f}{extra}")
    note = " (test accuracies reported, never used to choose)" if test else ""
    lines.append(f"accuracies: {evaluator}{note}; costs: the CIFAR-10 evaluation network")
    verdict = "improved" if result.improved else "no candidate beat β; α = β"
    lines.append(f"validation gain: {100 * result.gain:+.2f} points ({verdict})")
    return "\n".join(lines)


def run(args: TransformArgs) -> int:
    """Transform, print and draw; exit status 0."""
    from agents import RandomAgent, transform
    from agents.evaluation import describe_evaluator, second_stage_of, transform_env
    from agents.zoo import LearnerError, load_learner

    beta = load_genotype(args.genotype)
    if args.out and importlib.util.find_spec("matplotlib") is None:
        raise CommandError("--out needs matplotlib (pip install 'nat-gym[plot]')")
    checkpoint: Path | None = None
    config: dict[str, Any] = {}
    if args.checkpoint:
        given = {"algo": args.algo, "policy": args.policy}
        checkpoint, config = find_checkpoint(args.checkpoint, {k: v for k, v in given.items() if v})
    else:  # said before the env is made: a supernet env may warm up for a long time first
        print("nat transform: warning: no --checkpoint: using a random policy", file=sys.stderr, flush=True)
    env_id = args.env_id or config.get("env_id") or DEFAULT_ENVS[beta.space]
    env_kwargs = {**config.get("env_kwargs", {}), **args.env_kwargs}
    check_spaces(beta, env_id, env_kwargs, args.checkpoint if checkpoint else None, config)
    env = make_env(env_id, env_kwargs)
    base = transform_env(env)
    try:
        base.encoder.check(beta)
    except ValueError as error:
        raise CommandError(f"{env_id} cannot take this genotype: {error}") from None
    model: Predictor
    if checkpoint is None:
        model, source = RandomAgent(seed=args.seed), "random"
    else:
        spec = learner_of(config, device=args.device)
        try:
            loaded = load_learner(checkpoint, spec, env)
        except LearnerError as error:
            raise CommandError(str(error)) from None
        model, source = loaded, f"{checkpoint} ({spec.name}, {loaded.num_timesteps} env steps)"
    second = None
    evaluator = describe_evaluator(env)
    if args.rerank:
        try:
            second = second_stage_of(env, args.rerank_batches, args.rerank_stage)
        except ValueError as error:
            raise CommandError(f"--rerank: {error}") from None
        trained = (
            f"each candidate fine-tuned alone for {args.rerank_batches} batches"
            if args.rerank_stage == "finetune"
            else f"the input's neighbourhood alone trained for {args.rerank_batches} batches"
        )
        evaluator = f"{trained} from the supernet's weights, validation split (the top {args.rerank} of the {evaluator})"
    result = transform(
        model,
        beta,
        base.evaluator,
        base.transitions,
        args.method,
        k=args.k,
        seed=args.seed,
        second=second,
        shortlist=args.rerank,
    )
    evaluations = base.evaluator.evaluate([result.beta, result.alpha])
    test = tuple(e.extra.get("test_accuracy", float("nan")) for e in evaluations)
    has_test = all("test_accuracy" in e.extra for e in evaluations)
    print(format_result(result, evaluator, source, (test[0], test[1]) if has_test else None))
    if args.out:
        accuracies = (result.acc_beta, result.acc_alpha)
        print(f"wrote {render_diff(result.beta, result.alpha, args.out, accuracies)}")
    return 0
