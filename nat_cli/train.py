"""``nat train``: train a transformer policy on a NAT env, with atomic checkpoints and exact resumption.

The run folder (``--log-dir``) receives ``config.json`` (arguments, versions, data paths, history),
``progress.csv`` (SB3's logger; TensorBoard events too when tensorboard is installed),
``checkpoints/step_N.zip``, ``model.zip`` and ``results.json`` (what the model learned). ``--resume``
continues from the newest checkpoint that loads (naming any newer one that does not) with the same
configuration (only ``--total-timesteps`` may grow) and the same step count, so an interrupted run loses
only the steps since its last good checkpoint; the folder may be given by another path (relative, a
symlink) or be a copy. ``--policy package.module:Class`` trains your own policy, and ``config.json``
records it for ``--resume`` and ``nat transform``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gymnasium as gym

import nat_env  # noqa: F401 - registers the env ids
from agents.names import ALGORITHMS, HELD_OUT_SEED, POLICIES, is_import_path
from nat_cli import CommandError
from nat_cli.run_dir import (
    CONFIG,
    FINAL_MODEL,
    PROGRESS,
    RESULTS,
    checkpoints,
    config_record,
    latest_checkpoint,
    read_config,
)
from nat_env.envs import NB201_IDS, with_space
from nat_env.flags import from_namespace as dataclass_from_namespace
from nat_env.flags import non_negative_int, positive_int
from nat_env.records import config_differences, write_json

if TYPE_CHECKING:  # torch, SB3 and the learners load when a run starts, so that --help stays fast
    from stable_baselines3.common.base_class import BaseAlgorithm
    from stable_baselines3.common.callbacks import BaseCallback

    from agents import RandomAgent
    from agents.evaluation import Scores
    from agents.zoo import LearnerSpec

MAY_CHANGE_ON_RESUME = ("total_timesteps", "resume", "progress", "n_eval", "eval_seed", "k", "log_dir")
"""Arguments a resumed run may change: the budget, how progress is shown, the final evaluation and where the
run folder is (a relative path, a symlink or a copy of it); nothing that shapes learning."""
PATH_KWARGS = ("table_path", "data_root", "archive", "cache_dir", "checkpoint")
"""Keyword arguments of the env factories that name files or folders: compared resolved on ``--resume``."""


def policy_name(text: str) -> str:
    """A policy name or ``package.module:Class`` (argparse ``type``)."""
    if text in POLICIES or is_import_path(text):
        return text
    raise argparse.ArgumentTypeError(
        f"expected one of {', '.join(POLICIES)} or package.module:Class, got {text!r}"
    )


@dataclass
class TrainArgs:
    """Configuration of ``nat train`` (recorded in ``config.json``)."""

    env_id: str = "NAT-NB201-CIFAR10-v0"
    """Environment id: NAT-NB201-CIFAR10-v0 (also -CIFAR100-v0, -ImageNet16-v0; exact table rewards), NAT-NB201-Supernet-CIFAR10-v0 or NAT-CIFAR10-v0 (supernet rewards)."""
    algo: str = field(default="reinforce", metadata={"choices": ALGORITHMS})
    """Learner: reinforce (NAT's), ppo, a2c, maskable_ppo (sb3-contrib) or random (no learning, just evaluation)."""
    policy: str = field(default="gcn", metadata={"type": policy_name})
    """Policy: gcn (op-aware), reference (the authors' GCN), lstm (the controller), mlp (SB3's MultiInputPolicy), or your own as package.module:Class (an EdgeNetwork or an SB3 policy class; docs/policies.md), recorded so --resume and nat transform load it."""
    seed: int = 0
    """Seed of the model and the env."""
    total_timesteps: int = field(default=20_000, metadata={"type": positive_int})
    """Env steps (one-step episodes) to train for in all, counting those of resumed runs."""
    device: str = "auto"
    """Torch device of the policy: auto, cpu, cuda, cuda:1..."""
    log_dir: str = "runs/train"
    """Run folder: config.json, progress.csv, checkpoints/, model.zip, results.json."""
    learning_rate: float = 1e-3
    """Learning rate (the paper's REINFORCE uses 3e-4 with one sample per update)."""
    n_steps: int | None = field(default=None, metadata={"type": positive_int})
    """Env steps per update (default 32 for reinforce, 8 inputs x 4 samples; 16 for a2c; 64 for ppo and maskable_ppo)."""
    checkpoint_every: int = field(default=1000, metadata={"type": non_negative_int})
    """Env steps between checkpoints, rounded up to whole updates; 0 saves only at the end."""
    resume: bool = False
    """Continue the run in --log-dir from its last checkpoint (same configuration; only --total-timesteps may change)."""
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of gym.make as key=value (values read as JSON when they parse), e.g. table_path=... epochs=12."""
    n_eval: int = field(default=100, metadata={"type": non_negative_int})
    """Held-out input genotypes scored after training."""
    eval_seed: int = HELD_OUT_SEED
    """Seed of the held-out inputs (far from training seeds)."""
    k: int = field(default=8, metadata={"type": positive_int, "flags": ("-k",)})
    """Samples per input for the Sampling transformation."""
    progress: str = field(default="auto", metadata={"choices": ("auto", "bar", "plain", "none")})
    """Progress display: bar (SB3's, needs tqdm and rich), plain (a line every 10 s), none, or auto (bar on a terminal with tqdm and rich, else plain)."""

    @property
    def learner(self) -> LearnerSpec:
        """The learner this run trains."""
        from agents.zoo import LearnerSpec

        return LearnerSpec(self.algo, self.policy, self.learning_rate, self.n_steps, self.seed, self.device)


ARGS = TrainArgs
"""The flags of ``nat train`` (:func:`nat_cli.main.add_command`)."""


def learner_of(args: dict[str, Any], device: str | None = None) -> LearnerSpec:
    """The learner of a run from its recorded ``args`` (``config.json``), optionally on another device.

    Runs recorded before the registry named REINFORCE with the LSTM policy ``--algo lstm``.
    """
    algo, policy = str(args.get("algo", "reinforce")), args.get("policy") or "gcn"
    from agents.zoo import LearnerSpec

    if algo == "lstm":
        algo, policy = "reinforce", "lstm"
    return LearnerSpec(
        algo,
        str(policy),
        float(args.get("learning_rate", 1e-3)),
        args.get("n_steps"),
        int(args.get("seed", 0)),
        device or str(args.get("device", "auto")),
    )


def from_namespace(namespace: argparse.Namespace) -> TrainArgs:
    """The configuration from parsed flags.

    Raises:
        ValueError: for an algorithm and policy that do not go together, or a policy that cannot be imported.
    """
    args = dataclass_from_namespace(TrainArgs, namespace)
    spec = args.learner  # refuses an algorithm and policy that do not go together
    if is_import_path(spec.policy) and spec.algo != "random":
        from agents.zoo import policy_class

        policy_class(spec.algo, spec.policy)  # imports a user's policy now, before the run folder is written
    return args


def default_threads(args: TrainArgs) -> int | None:
    """Torch threads unless ``--threads`` says otherwise: one on the NAS-Bench-201 table envs, where the
    learner's small networks do all the work and run fastest on one thread
    (``benchmarks/results/learner_speed``); torch's default where supernet passes compute the rewards."""
    return 1 if args.env_id in NB201_IDS else None


def recorded(args: TrainArgs) -> dict[str, Any]:
    """The arguments as ``config.json`` stores them: a JSON round trip, so they compare equal, with the env's
    file and folder paths resolved, so the run folder still finds them from another working directory."""
    data: dict[str, Any] = json.loads(json.dumps(asdict(args)))
    return _resolved(data)


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
    saved_args: dict[str, Any] = saved.get("args", {})
    trained_on = str(saved_args.get("env_id", TrainArgs.env_id))
    if trained_on != args.env_id:
        raise CommandError(
            f"{log_dir} holds a run trained on {with_space(trained_on, saved_args.get('env_kwargs'))}, not "
            f"{with_space(args.env_id, args.env_kwargs)}: resume it with --env-id {trained_on} (and its other "
            "flags), or start a new run in another --log-dir"
        )
    differences = config_differences(
        _resolved(saved_args),
        recorded(args),
        MAY_CHANGE_ON_RESUME,
        defaults=recorded(TrainArgs()),
    )
    if differences:
        raise CommandError(
            f"refusing to resume {log_dir} with a different configuration (only --total-timesteps and the evaluation flags may change): "
            + "; ".join(differences)
        )
    history: list[dict[str, Any]] = saved.get("history", [])
    return history


def _resolved(args: dict[str, Any]) -> dict[str, Any]:
    """Recorded arguments with the env's file and folder paths resolved, so two spellings of a path compare
    equal."""
    kwargs = args.get("env_kwargs")
    if not isinstance(kwargs, dict):
        return args
    paths = {key: str(Path(value).resolve()) for key, value in kwargs.items() if key in PATH_KWARGS and value}
    return {**args, "env_kwargs": {**kwargs, **paths}}


def make_env(env_id: str, env_kwargs: dict[str, Any]) -> gym.Env[Any, Any]:
    """``gym.make`` with a one-line error for an unknown id or bad keyword arguments."""
    try:
        return gym.make(env_id, **env_kwargs)
    except gym.error.Error as error:
        raise CommandError(f"cannot make {env_id}: {error}") from None
    except TypeError as error:
        raise CommandError(f"bad --env-kwargs for {env_id}: {error}") from None


def _progress_callbacks(args: TrainArgs) -> tuple[bool, list[BaseCallback]]:
    from nat_cli.callbacks import PlainProgressCallback

    has_bar = all(importlib.util.find_spec(name) is not None for name in ("tqdm", "rich"))
    if args.progress == "bar" and not has_bar:
        raise CommandError("--progress bar needs tqdm and rich (pip install 'nat-gym[progress]')")
    bar = args.progress == "bar" or (args.progress == "auto" and has_bar and sys.stderr.isatty())
    if bar or args.progress == "none":
        return bar, []
    return False, [PlainProgressCallback(args.total_timesteps)]


def train(args: TrainArgs, env: gym.Env[Any, Any]) -> BaseAlgorithm:
    """Build or resume the model and train it up to ``args.total_timesteps`` env steps."""
    from stable_baselines3.common.base_class import BaseAlgorithm

    from agents.zoo import make_learner
    from nat_cli.callbacks import CheckpointCallback, save_model
    from nat_cli.logs import make_logger, truncate_progress

    log_dir = Path(args.log_dir)
    spec = args.learner
    resumed = resume(log_dir, spec, env) if args.resume else None
    if resumed is None:
        model = make_learner(spec, env)
        assert isinstance(model, BaseAlgorithm)
        truncate_progress(log_dir / PROGRESS, 0)
    else:
        model, steps = resumed
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


def resume(log_dir: Path, spec: LearnerSpec, env: gym.Env[Any, Any]) -> tuple[BaseAlgorithm, int] | None:
    """The newest checkpoint of a run that loads and its step count, or ``None`` if it has none.

    Newer checkpoints that do not load (truncated, damaged) are skipped, each named on stderr.

    Raises:
        CommandError: when the run has checkpoints and none of them loads.
    """
    from agents.zoo import LearnerError, load_learner

    skipped: list[str] = []
    for steps, path in reversed(checkpoints(log_dir)):
        try:
            model = load_learner(path, spec, env)
        except LearnerError as error:
            print(f"skipping a checkpoint that does not load: {error}", file=sys.stderr)
            skipped.append(path.name)
            continue
        note = f" (skipped {', '.join(skipped)}, which do not load)" if skipped else ""
        print(f"resuming from {path} at step {steps}{note}")
        return model, steps
    if skipped:
        raise CommandError(
            f"no checkpoint in {log_dir / 'checkpoints'} loads ({', '.join(skipped)}); "
            "start the run again without --resume in another --log-dir"
        )
    return None


def run(args: TrainArgs) -> int:
    """Train (or resume), then report what the model learned; exit status 0."""
    from agents import RandomAgent
    from agents.evaluation import held_out_inputs, score
    from agents.zoo import LearnerError

    history = prepare_run_dir(args)
    env = make_env(args.env_id, args.env_kwargs)
    log_dir = Path(args.log_dir)
    write_json(log_dir / CONFIG, config_record(recorded(args), history))
    model: BaseAlgorithm | RandomAgent
    try:
        if args.algo == "random":
            model = RandomAgent(seed=args.seed)
            timesteps = 0
            print("random: nothing to learn; evaluating uniformly random legal transformations")
        else:
            model = train(args, env)
            timesteps = model.num_timesteps
    except LearnerError as error:
        raise CommandError(str(error)) from None
    if args.n_eval == 0:
        return 0
    scores = score(model, env, held_out_inputs(env, args.n_eval, args.eval_seed), k=args.k)
    print(format_scores(scores))
    path = write_json(log_dir / RESULTS, {"timesteps": timesteps, **scores.summary()})
    print(f"wrote {path}")
    return 0


LABELS = {
    "keep": "keep (β itself)",
    "maximum": "Maximum",
    "sampling": "Sampling (best of {k})",
    "oracle": "oracle (best rewrite)",
}


def format_scores(scores: Scores) -> str:
    """Mean validation gains (and test gains where the env has them) as a few lines of text."""
    has_test = "test" in scores.splits
    header = f"mean gain over {len(scores.inputs)} held-out inputs (points; {scores.evaluator}):"
    lines = [header, f"  {'':>24}  {'val':>7}" + (f"  {'test':>7}" if has_test else "")]
    for method in scores.gains:
        label = LABELS.get(method, method).format(k=scores.k)
        test = f"  {scores.mean(method, 'test'):+7.2f}" if has_test else ""
        lines.append(f"  {label:>24}  {scores.mean(method):+7.2f}{test}")
    names = {"val": "validation", "test": "test"}
    for split in [s for s in ("val", "test") if s in scores.splits]:
        shares = [
            f"{m.capitalize()} {100 * scores.fraction_of_oracle(m, split):.0f} %"
            for m in ("maximum", "sampling")
            if m in scores.gains
        ]
        if "oracle" in scores.gains and scores.mean("oracle", split) and shares:
            lines.append(f"  share of the oracle's {names[split]} gain: {', '.join(shares)}")
    return "\n".join(lines)
