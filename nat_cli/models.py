"""Learners by name: build an untrained model for ``nat train`` and load a checkpoint without unpickling.

Algorithms: ``reinforce`` (NAT's learner), ``lstm`` (REINFORCE with the LSTM controller), ``ppo``, ``a2c``
(Stable-Baselines3), ``maskable_ppo`` (sb3-contrib, legal choices only) and ``random`` (no learning).
Policies: ``gcn``, ``reference`` (the authors' GCN), ``lstm`` and ``mlp`` (SB3's ``MultiInputPolicy``).

Loading is safe against a tampered checkpoint: SB3 stores the network weights as ``.pth`` files that it
reads with ``torch.load(weights_only=True)``, and the rest (policy class, spaces, schedules) in a JSON file
whose non-JSON items are cloudpickled. :func:`load_model` never unpickles those: it rebuilds each of them
from the run's configuration and hands them to SB3's ``load`` as ``custom_objects``, which replace the
stored items unread (``stable_baselines3.common.save_util.json_to_data``).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gymnasium as gym
from stable_baselines3 import A2C, PPO
from stable_baselines3.common.base_class import BaseAlgorithm

from agents import REINFORCE, GCNPolicy, LSTMPolicy, RandomAgent, ReferenceGCNPolicy
from nat_cli import CommandError

ALGORITHMS = ("reinforce", "ppo", "a2c", "maskable_ppo", "random", "lstm")
"""Names accepted by ``--algo``."""
POLICIES = ("gcn", "reference", "lstm", "mlp")
"""Names accepted by ``--policy``."""
DEFAULT_N_STEPS = {"reinforce": 32, "lstm": 32, "a2c": 16, "ppo": 64, "maskable_ppo": 64, "random": 16}
"""Env steps per update when ``--n-steps`` is not given (the benchmarks' settings)."""
REINFORCE_KWARGS: dict[str, Any] = {"n_samples": 4, "normalize_advantage": True, "ent_coef": 0.01}
"""REINFORCE's settings in ``benchmarks/agents_nb201.py`` (8 inputs x 4 samples per 32-step update, a
leave-one-out baseline per input, standardised advantages): the GCN's argmax reaches 94 % of the oracle
there (``benchmarks/results/agents_nb201.json``). ``n_samples`` falls back to 1 when it does not divide
``--n-steps``."""


def default_policy(algo: str) -> str:
    """The policy an algorithm uses when ``--policy`` is not given."""
    return "lstm" if algo == "lstm" else "gcn"


def check_combination(algo: str, policy: str) -> None:
    """Refuse combinations that make no sense.

    Raises:
        ValueError: for ``--algo lstm`` with a policy other than ``lstm``.
    """
    if algo == "lstm" and policy != "lstm":
        raise ValueError(f"--algo lstm is REINFORCE with the LSTM policy; it cannot use --policy {policy}")


def algorithm_class(algo: str) -> type[BaseAlgorithm]:
    """The SB3 algorithm class of a learning algorithm name."""
    if algo in ("reinforce", "lstm"):
        return REINFORCE
    if algo == "ppo":
        return PPO
    if algo == "a2c":
        return A2C
    if algo == "maskable_ppo":
        return _maskable_ppo()
    raise ValueError(f"{algo!r} is not a learning algorithm")


def policy_class(algo: str, policy: str) -> Any:
    """The policy class (or SB3 alias) for an algorithm and policy name."""
    if algo == "maskable_ppo":
        try:
            from agents import MaskableGCNPolicy, MaskableLSTMPolicy, MaskableReferenceGCNPolicy
        except ImportError as error:
            raise CommandError(
                f"--algo maskable_ppo needs sb3-contrib (pip install 'nat-gym[contrib]'): {error}"
            ) from None
        maskable = {
            "gcn": MaskableGCNPolicy,
            "reference": MaskableReferenceGCNPolicy,
            "lstm": MaskableLSTMPolicy,
        }
        return maskable.get(policy, "MultiInputPolicy")
    plain = {"gcn": GCNPolicy, "reference": ReferenceGCNPolicy, "lstm": LSTMPolicy}
    return plain.get(policy, "MultiInputPolicy")


@dataclass(frozen=True)
class ModelConfig:
    """What a model is: enough to build it untrained or to load its checkpoint.

    Attributes:
        algo: one of :data:`ALGORITHMS`.
        policy: one of :data:`POLICIES`.
        learning_rate: Adam's (RMSprop's for A2C) learning rate.
        n_steps: env steps per update (PPO's minibatch is ``min(64, n_steps)``, 4 epochs).
        seed: seed of the model and of the env it resets.
        device: ``auto``, ``cpu``, ``cuda``...
    """

    algo: str
    policy: str
    learning_rate: float
    n_steps: int
    seed: int
    device: str

    @classmethod
    def from_args(cls, args: dict[str, Any], device: str | None = None) -> ModelConfig:
        """From the ``args`` of a ``config.json`` (defaults resolved), optionally on another device."""
        algo = str(args.get("algo", "reinforce"))
        return cls(
            algo=algo,
            policy=str(args.get("policy") or default_policy(algo)),
            learning_rate=float(args.get("learning_rate", 1e-3)),
            n_steps=int(args.get("n_steps") or DEFAULT_N_STEPS[algo]),
            seed=int(args.get("seed", 0)),
            device=device or str(args.get("device", "auto")),
        )


def make_model(config: ModelConfig, env: gym.Env[Any, Any]) -> BaseAlgorithm | RandomAgent:
    """An untrained model of a configuration on an env."""
    check_combination(config.algo, config.policy)
    if config.algo == "random":
        return RandomAgent(seed=config.seed)
    kwargs: dict[str, Any] = {
        "learning_rate": config.learning_rate,
        "n_steps": config.n_steps,
        "seed": config.seed,
        "device": config.device,
        "verbose": 0,
    }
    if config.algo in ("ppo", "maskable_ppo"):
        kwargs.update(batch_size=min(64, config.n_steps), n_epochs=4)
    if config.algo in ("reinforce", "lstm"):
        kwargs.update(REINFORCE_KWARGS)
        if config.n_steps % kwargs["n_samples"]:
            kwargs["n_samples"] = 1
    return algorithm_class(config.algo)(policy_class(config.algo, config.policy), env, **kwargs)


def serialized_keys(path: str | Path) -> list[str]:
    """Items of an SB3 checkpoint that SB3 would unpickle with cloudpickle on ``load``.

    Raises:
        CommandError: if the file is no SB3 checkpoint.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            data = json.loads(archive.read("data"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise CommandError(f"{path} is not a Stable-Baselines3 checkpoint: {error}") from None
    return [key for key, value in data.items() if isinstance(value, dict) and ":serialized:" in value]


def load_model(path: str | Path, config: ModelConfig, env: gym.Env[Any, Any]) -> BaseAlgorithm:
    """Load a checkpoint written by ``nat train`` without unpickling anything stored in it.

    Every cloudpickled item is replaced by the same attribute of a freshly built model of the same
    configuration (see the module docstring); the weights are read with ``weights_only=True``.

    Raises:
        CommandError: if the file is no checkpoint or does not fit the configuration and env.
    """
    fresh = make_model(config, env)
    if not isinstance(fresh, BaseAlgorithm):
        raise CommandError(f"{config.algo} has no checkpoints to load")
    custom = {key: getattr(fresh, key, None) for key in serialized_keys(path)}
    try:
        return algorithm_class(config.algo).load(path, env=env, device=config.device, custom_objects=custom)
    except (RuntimeError, ValueError, KeyError) as error:
        message = " ".join(str(error).split())[:300]
        raise CommandError(
            f"cannot load {path} as {config.algo}/{config.policy} on this env: {message}"
        ) from None


def _maskable_ppo() -> type[BaseAlgorithm]:
    try:
        from sb3_contrib import MaskablePPO
    except ImportError as error:
        raise CommandError(
            f"--algo maskable_ppo needs sb3-contrib (pip install 'nat-gym[contrib]'): {error}"
        ) from None
    cls: type[BaseAlgorithm] = MaskablePPO
    return cls
