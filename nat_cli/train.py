"""``nat train``: train a transformer policy on a NAT env, with atomic checkpoints and exact resumption.

The run folder (``--log-dir``) receives ``config.json`` (arguments, versions, data paths, history),
``progress.csv`` (SB3's logger; TensorBoard events too when tensorboard is installed),
``checkpoints/step_N.zip``, ``model.zip`` and ``results.json`` (what the model learned). ``--resume``
continues from the last checkpoint with the same configuration (only ``--total-timesteps`` may grow) and
the same step count, so an interrupted run loses only the steps since its last checkpoint.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback

import nat_env  # noqa: F401 - registers the env ids
from agents import RandomAgent
from nat_cli import CommandError
from nat_cli.arguments import field_help, key_value, non_negative_int, plain, positive_int
from nat_cli.callbacks import CheckpointCallback, PlainProgressCallback, save_model
from nat_cli.evaluate import evaluate, format_results
from nat_cli.logs import make_logger, truncate_progress
from nat_cli.models import (
    ALGORITHMS,
    DEFAULT_N_STEPS,
    POLICIES,
    ModelConfig,
    check_combination,
    default_policy,
    load_model,
    make_model,
)
from nat_cli.run_dir import (
    CONFIG,
    FINAL_MODEL,
    PROGRESS,
    RESULTS,
    config_record,
    latest_checkpoint,
    read_config,
)
from nat_env.records import config_differences, write_json

MAY_CHANGE_ON_RESUME = ("total_timesteps", "resume", "progress", "n_eval", "eval_seed", "k")
"""Arguments a resumed run may change: the budget, how progress is shown and the final evaluation; nothing
that shapes learning."""


@dataclass
class TrainArgs:
    """Configuration of ``nat train`` (recorded in ``config.json``)."""

    env_id: str = "NAT-NB201-CIFAR10-v0"
    """Environment id: NAT-NB201-CIFAR10-v0 (also -CIFAR100-v0, -ImageNet16-v0; exact table rewards) or NAT-CIFAR10-v0 (supernet rewards)."""
    algo: str = "reinforce"
    """Learner: reinforce (NAT's), ppo, a2c, maskable_ppo (sb3-contrib), random (no learning, just evaluation) or lstm (REINFORCE with the LSTM policy)."""
    policy: str | None = None
    """Policy: gcn, reference (the authors' GCN), lstm or mlp (SB3's MultiInputPolicy); default gcn (lstm for --algo lstm)."""
    seed: int = 0
    """Seed of the model and the env."""
    total_timesteps: int = 20_000
    """Env steps (one-step episodes) to train for in all, counting those of resumed runs."""
    device: str = "auto"
    """Torch device of the policy: auto, cpu, cuda, cuda:1..."""
    log_dir: str = "runs/train"
    """Run folder: config.json, progress.csv, checkpoints/, model.zip, results.json."""
    learning_rate: float = 1e-3
    """Learning rate (the paper's REINFORCE uses 3e-4 with one sample per update)."""
    n_steps: int | None = None
    """Env steps per update (default 32 for reinforce and lstm, 8 inputs x 4 samples each; 16 for a2c; 64
    for ppo and maskable_ppo)."""
    checkpoint_every: int = 1000
    """Env steps between checkpoints, rounded up to whole updates; 0 saves only at the end."""
    resume: bool = False
    """Continue the run in --log-dir from its last checkpoint (same configuration; only --total-timesteps may change)."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of gym.make as key=value (values read as JSON when they parse), e.g. table_path=... epochs=12."""
    n_eval: int = 100
    """Held-out input genotypes scored after training."""
    eval_seed: int = 1_000_000
    """Seed of the held-out inputs (far from training seeds)."""
    k: int = 8
    """Samples per input for the Sampling transformation."""
    progress: str = "auto"
    """Progress display: bar (SB3's, needs tqdm and rich), plain (a line every 10 s), none, or auto (bar on a terminal with tqdm and rich, else plain)."""


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> argparse.ArgumentParser:
    """Register ``nat train``."""
    h = field_help(TrainArgs)
    d = TrainArgs()
    parser = subparsers.add_parser(
        "train",
        help="train a policy on a NAT env (checkpoints, resume)",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--env-id", default=d.env_id, help=h["env_id"])
    parser.add_argument("--algo", choices=ALGORITHMS, default=d.algo, help=h["algo"])
    parser.add_argument("--policy", choices=POLICIES, default=None, help=h["policy"])
    parser.add_argument("--seed", type=int, default=d.seed, help=h["seed"])
    parser.add_argument(
        "--total-timesteps", type=positive_int, default=d.total_timesteps, help=h["total_timesteps"]
    )
    parser.add_argument("--device", default=d.device, help=h["device"])
    parser.add_argument("--log-dir", default=d.log_dir, help=h["log_dir"])
    parser.add_argument("--learning-rate", type=float, default=d.learning_rate, help=h["learning_rate"])
    parser.add_argument("--n-steps", type=positive_int, default=None, help=h["n_steps"])
    parser.add_argument(
        "--checkpoint-every", type=non_negative_int, default=d.checkpoint_every, help=h["checkpoint_every"]
    )
    parser.add_argument("--resume", action="store_true", help=h["resume"])
    parser.add_argument(
        "--env-kwargs", type=key_value, nargs="*", default=[], metavar="KEY=VALUE", help=h["env_kwargs"]
    )
    parser.add_argument("--n-eval", type=non_negative_int, default=d.n_eval, help=h["n_eval"])
    parser.add_argument("--eval-seed", type=int, default=d.eval_seed, help=h["eval_seed"])
    parser.add_argument("-k", type=positive_int, default=d.k, help=h["k"])
    parser.add_argument(
        "--progress", choices=("auto", "bar", "plain", "none"), default=d.progress, help=h["progress"]
    )
    return parser


def from_namespace(namespace: argparse.Namespace) -> TrainArgs:
    """The configuration from parsed flags, defaults resolved.

    Raises:
        ValueError: for an algorithm and policy that do not go together.
    """
    values = {f.name: getattr(namespace, f.name) for f in dataclasses.fields(TrainArgs)}
    values["env_kwargs"] = dict(values["env_kwargs"])
    values["policy"] = values["policy"] or default_policy(values["algo"])
    values["n_steps"] = values["n_steps"] or DEFAULT_N_STEPS[values["algo"]]
    check_combination(values["algo"], values["policy"])
    return TrainArgs(**values)


def recorded(args: TrainArgs) -> dict[str, Any]:
    """The arguments as ``config.json`` stores them (a JSON round trip, so they compare equal)."""
    data: dict[str, Any] = json.loads(json.dumps(dataclasses.asdict(args)))
    return data


def prepare_run_dir(args: TrainArgs) -> list[dict[str, Any]]:
    """Check that the run folder fits ``--resume`` and return the run's history so far.

    Raises:
        CommandError: a fresh run in a used folder, a resume without a run, or a changed configuration.
    """
    log_dir = Path(args.log_dir)
    saved = read_config(log_dir)
    if not args.resume:
        if saved is not None or latest_checkpoint(log_dir) or (log_dir / FINAL_MODEL).exists():
            raise CommandError(
                f"{log_dir} already holds a run; pass --resume to continue it or choose another --log-dir"
            )
        return []
    if saved is None:
        raise CommandError(f"nothing to resume: {log_dir / CONFIG} does not exist")
    differences = config_differences(
        saved.get("args", {}), recorded(args), MAY_CHANGE_ON_RESUME, defaults=recorded(TrainArgs())
    )
    if differences:
        raise CommandError(
            f"refusing to resume {log_dir} with a different configuration (only --total-timesteps and the evaluation flags may change): "
            + "; ".join(differences)
        )
    history: list[dict[str, Any]] = saved.get("history", [])
    return history


def make_env(env_id: str, env_kwargs: dict[str, Any]) -> gym.Env[Any, Any]:
    """``gym.make`` with a one-line error for an unknown id or bad keyword arguments."""
    try:
        return gym.make(env_id, **env_kwargs)
    except gym.error.Error as error:
        raise CommandError(f"cannot make {env_id}: {error}") from None
    except TypeError as error:
        raise CommandError(f"bad --env-kwargs for {env_id}: {error}") from None


def _progress_callbacks(args: TrainArgs) -> tuple[bool, list[BaseCallback]]:
    has_bar = all(importlib.util.find_spec(name) is not None for name in ("tqdm", "rich"))
    if args.progress == "bar" and not has_bar:
        raise CommandError("--progress bar needs tqdm and rich (pip install 'nat-gym[progress]')")
    bar = args.progress == "bar" or (args.progress == "auto" and has_bar and sys.stderr.isatty())
    if bar or args.progress == "none":
        return bar, []
    return False, [PlainProgressCallback(args.total_timesteps)]


def train(args: TrainArgs, env: gym.Env[Any, Any]) -> BaseAlgorithm:
    """Build or resume the model and train it up to ``args.total_timesteps`` env steps."""
    log_dir = Path(args.log_dir)
    config = ModelConfig.from_args(recorded(args))
    latest = latest_checkpoint(log_dir) if args.resume else None
    if latest is None:
        model = make_model(config, env)
        assert isinstance(model, BaseAlgorithm)
        truncate_progress(log_dir / PROGRESS, 0)
    else:
        steps, path = latest
        print(f"resuming from {path} at step {steps}")
        model = load_model(path, config, env)
        truncate_progress(log_dir / PROGRESS, steps)
    model.set_logger(make_logger(log_dir))
    remaining = args.total_timesteps - model.num_timesteps
    if remaining <= 0:
        print(f"already trained for {model.num_timesteps} env steps (>= --total-timesteps)")
        save_model(model, log_dir / FINAL_MODEL)
        return model
    bar, callbacks = _progress_callbacks(args)
    start = time.perf_counter()
    model.learn(
        total_timesteps=remaining,
        callback=[CheckpointCallback(log_dir, args.checkpoint_every), *callbacks],
        log_interval=1,
        reset_num_timesteps=False,
        progress_bar=bar,
    )
    seconds = time.perf_counter() - start
    model.logger.close()
    print(
        f"trained {args.algo} + {args.policy} on {args.env_id}: {model.num_timesteps} env steps "
        f"({remaining / seconds:.0f} steps/s this session); run folder {log_dir}"
    )
    return model


def run(args: TrainArgs) -> int:
    """Train (or resume), then report what the model learned; exit status 0."""
    history = prepare_run_dir(args)
    env = make_env(args.env_id, args.env_kwargs)
    log_dir = Path(args.log_dir)
    write_json(log_dir / CONFIG, config_record(recorded(args), history))
    model: BaseAlgorithm | RandomAgent
    if args.algo == "random":
        model = RandomAgent(seed=args.seed)
        timesteps = 0
        print("random: nothing to learn; evaluating uniformly random legal transformations")
    else:
        model = train(args, env)
        timesteps = model.num_timesteps
    if args.n_eval == 0:
        return 0
    results = evaluate(model, env, args.env_id, args.n_eval, args.eval_seed, args.k)
    print(format_results(results))
    path = write_json(log_dir / RESULTS, {"timesteps": timesteps, **results})
    print(f"wrote {path}")
    return 0
