"""Learners by name: one registry of algorithm + policy, the settings that work, and safe loading.

Data flow: a learner name (``reinforce-gcn``, ``maskable_ppo-gcn``, ``ppo-mlp``, ``random``...) or a
:class:`LearnerSpec` → :func:`make_learner` → an untrained SB3-style model on an env → ``learn`` →
``save`` → :func:`load_learner`. ``nat train`` and every benchmark build their learners here.

Algorithms: ``reinforce`` (NAT's learner, :class:`agents.REINFORCE` on its class defaults), ``ppo``,
``a2c`` (Stable-Baselines3), ``maskable_ppo`` (sb3-contrib, legal choices only) and ``random`` (no
learning). Policies: ``gcn`` (op-aware), ``reference`` (the authors' GCN), ``lstm`` (the controller),
``mlp`` (SB3's ``MultiInputPolicy``), or your own as ``package.module:Class``: an
:class:`~agents.policies.EdgeNetwork` (wrapped in the algorithm's edge policy, masked for MaskablePPO) or
an SB3 policy class. The module is imported as ``python -m`` would: from the current folder, then
``sys.path``; loading a checkpoint imports it again, so a run folder names code that must be on the machine.

Loading is safe against a tampered checkpoint: SB3 stores the weights as ``.pth`` files that it reads with
``torch.load(weights_only=True)``, and the rest (policy class, spaces, schedules) in a JSON file whose
non-JSON items are cloudpickled. :func:`load_learner` never unpickles those: it rebuilds each of them from
the spec and hands them to SB3's ``load`` as ``custom_objects``, which replace the stored items unread.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import gymnasium as gym
from stable_baselines3 import A2C, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import BasePolicy
from stable_baselines3.common.vec_env import VecEnv

from agents.batching import learner_env, vectorize
from agents.names import ALGORITHMS as ALGORITHMS  # re-exported: their home before names.py
from agents.names import POLICIES as POLICIES
from agents.names import is_import_path as is_import_path
from agents.policies import EdgeNetwork, EdgePolicy, GCNPolicy, LSTMPolicy, ReferenceGCNPolicy
from agents.random_agent import RandomAgent
from agents.reinforce import REINFORCE
from nat_env.names import unknown

LEARNERS = (
    "random",
    "reinforce-lstm",
    "reinforce-gcn",
    "reinforce-reference",
    "ppo-gcn",
    "a2c-gcn",
    "maskable_ppo-gcn",
    "ppo-mlp",
)
"""The learners the benchmarks compare: the paper's (random search, LSTM controller, GCN), the authors'
GCN, and SB3's on-policy algorithms with the GCN and with SB3's own MLP."""
DEFAULT_N_STEPS = {"reinforce": 32, "a2c": 16, "ppo": 64, "maskable_ppo": 64, "random": 16}
"""Env steps per update by default: REINFORCE's class default (8 inputs x 4 samples), A2C's 16-step
rollouts, PPO's 64-step rollouts in minibatches of 64 with 4 epochs."""


_NEEDS_CONTRIB = "maskable_ppo needs sb3-contrib (pip install 'nat-gym[contrib]')"


class LearnerError(ValueError):
    """A learner that cannot be built or loaded: an unknown name, a missing extra, a foreign checkpoint."""


@dataclass(frozen=True)
class LearnerSpec:
    """What a learner is: enough to build it untrained or to load its checkpoint safely.

    Attributes:
        algo: one of :data:`ALGORITHMS`.
        policy: one of :data:`POLICIES` or ``package.module:Class`` (ignored by ``random``).
        learning_rate: the optimiser's learning rate (Adam; RMSprop for A2C).
        n_steps: env steps per update; ``None``: :data:`DEFAULT_N_STEPS`.
        seed: seed of the model (and of the env it resets).
        device: ``auto``, ``cpu``, ``cuda``...
    """

    algo: str = "reinforce"
    policy: str = "gcn"
    learning_rate: float = 1e-3
    n_steps: int | None = None
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.algo not in ALGORITHMS:
            raise LearnerError(unknown("algorithm", self.algo, ALGORITHMS))
        if self.policy not in POLICIES and not is_import_path(self.policy):
            message = unknown("policy", self.policy, POLICIES)
            raise LearnerError(f"{message}, or your own as package.module:Class")
        if self.algo == "maskable_ppo" and self.policy == "mlp":
            raise LearnerError("maskable_ppo uses the gcn, reference or lstm policy")

    @property
    def name(self) -> str:
        """``algo-policy`` (``random`` alone)."""
        return "random" if self.algo == "random" else f"{self.algo}-{self.policy}"

    @property
    def steps_per_update(self) -> int:
        """``n_steps`` with the algorithm's default filled in."""
        return self.n_steps if self.n_steps is not None else DEFAULT_N_STEPS[self.algo]

    @classmethod
    def parse(cls, name: str, **settings: Any) -> LearnerSpec:
        """A spec from a learner name such as ``maskable_ppo-gcn`` (``random`` needs no policy).

        Raises:
            LearnerError: for an unknown algorithm or policy.
        """
        algo, _, policy = name.partition("-")
        return cls(algo=algo, policy=policy or "gcn", **settings)


def algorithm_class(algo: str) -> type[BaseAlgorithm]:
    """The SB3 algorithm class of a learning algorithm name."""
    if algo == "reinforce":
        return REINFORCE
    if algo == "ppo":
        return PPO
    if algo == "a2c":
        return A2C
    if algo == "maskable_ppo":
        return _maskable_ppo()
    raise LearnerError(f"{algo!r} is not a learning algorithm")


def import_policy(path: str) -> type:
    """The class a ``package.module:Class`` names, imported from the current folder or ``sys.path``.

    Raises:
        LearnerError: if the module cannot be imported or has no such class.
    """
    module_name, _, name = path.partition(":")
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise LearnerError(
            f"cannot import {module_name} for the policy {path} ({error}): run from the folder that holds it, "
            "add that folder to PYTHONPATH or install its package"
        ) from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    found = getattr(module, name, None)
    if not isinstance(found, type):
        raise LearnerError(f"{module_name} has no class {name!r} (the policy {path})")
    return found


def _own_policy(algo: str, path: str) -> type[BasePolicy]:
    """A user's policy class: an SB3 policy as it is, an :class:`EdgeNetwork` in the algorithm's edge policy."""
    found = import_policy(path)
    if issubclass(found, BasePolicy):
        return found
    if not issubclass(found, EdgeNetwork):
        raise LearnerError(f"{path} is neither an EdgeNetwork nor a Stable-Baselines3 policy class")
    base: type[BasePolicy] = EdgePolicy
    if algo == "maskable_ppo":
        base = _maskable_module().MaskableEdgePolicy
    return type(f"{found.__name__}Policy", (base,), {"network_class": found, "__module__": found.__module__})


def _maskable_module() -> ModuleType:
    try:
        from agents.policies import maskable
    except ImportError as error:
        raise LearnerError(f"{_NEEDS_CONTRIB}: {error}") from None
    return maskable


def policy_class(algo: str, policy: str) -> Any:
    """The policy class (or SB3 alias) of an algorithm and a policy name or ``package.module:Class``."""
    if is_import_path(policy):
        return _own_policy(algo, policy)
    if algo == "maskable_ppo":
        maskable = _maskable_module()
        masked = {
            "gcn": maskable.MaskableGCNPolicy,
            "reference": maskable.MaskableReferenceGCNPolicy,
            "lstm": maskable.MaskableLSTMPolicy,
        }
        return masked[policy]
    plain = {"gcn": GCNPolicy, "reference": ReferenceGCNPolicy, "lstm": LSTMPolicy}
    return plain.get(policy, "MultiInputPolicy")


def make_learner(
    spec: LearnerSpec | str, env: gym.Env[Any, Any] | VecEnv, **overrides: Any
) -> BaseAlgorithm | RandomAgent:
    """An untrained learner on an env, with the settings that work.

    The spec's ``n_steps`` is the episodes per update; :func:`agents.batching.learner_env` decides how
    they are collected (an env with a batched form, the exact NAS-Bench-201 envs, as that many envs of
    one step each: for one-step episodes the same rollout, one policy forward per update).

    Args:
        spec: a spec or a learner name.
        env: the env (or VecEnv) to train on.
        **overrides: keyword arguments for the algorithm's constructor (e.g. ``ent_coef``), on top of the
            spec's settings.
    """
    spec = LearnerSpec.parse(spec) if isinstance(spec, str) else spec
    if spec.algo == "random":
        return RandomAgent(seed=spec.seed)
    episodes = spec.steps_per_update
    n_samples = 1
    if spec.algo == "reinforce":  # several samples per input need whole groups per update
        n_samples = overrides.get(
            "n_samples", 1 if episodes % REINFORCE.DEFAULT_N_SAMPLES else REINFORCE.DEFAULT_N_SAMPLES
        )
    env, n_steps = learner_env(env, episodes, n_samples)
    kwargs: dict[str, Any] = {
        "learning_rate": spec.learning_rate,
        "n_steps": n_steps,
        "seed": spec.seed,
        "device": spec.device,
        "verbose": 0,
    }
    if spec.algo in ("ppo", "maskable_ppo"):
        kwargs.update(batch_size=min(64, episodes), n_epochs=4)
    if spec.algo == "reinforce":
        kwargs["n_samples"] = n_samples
    kwargs.update(overrides)
    return algorithm_class(spec.algo)(policy_class(spec.algo, spec.policy), env, **kwargs)


def saved_data(path: str | Path) -> dict[str, Any]:
    """The JSON part of an SB3 checkpoint (its attributes), read without unpickling anything.

    Raises:
        LearnerError: if the file is no SB3 checkpoint.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            data: dict[str, Any] = json.loads(archive.read("data"))
    except (OSError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as error:
        raise LearnerError(f"{path} is not a Stable-Baselines3 checkpoint: {error}") from None
    return data


def serialized_keys(data: dict[str, Any]) -> list[str]:
    """Items of an SB3 checkpoint's JSON part (:func:`saved_data`) that SB3 would unpickle on ``load``."""
    return [key for key, value in data.items() if isinstance(value, dict) and ":serialized:" in value]


def load_learner(path: str | Path, spec: LearnerSpec, env: gym.Env[Any, Any] | VecEnv) -> BaseAlgorithm:
    """Load a checkpoint of a learner without unpickling anything stored in it (see the module docstring).

    Raises:
        LearnerError: if the file is no checkpoint or does not fit the spec and env.
    """
    fresh = make_learner(spec, env)
    if not isinstance(fresh, BaseAlgorithm):
        raise LearnerError(f"{spec.algo} has no checkpoints to load")
    saved = saved_data(path)
    custom = {key: getattr(fresh, key, None) for key in serialized_keys(saved)}
    env = vectorize(env, int(saved.get("n_envs", 1)), int(saved.get("n_samples", 1)))
    try:
        return algorithm_class(spec.algo).load(path, env=env, device=spec.device, custom_objects=custom)
    except (RuntimeError, ValueError, KeyError) as error:
        message = " ".join(str(error).split())[:300]
        raise LearnerError(f"cannot load {path} as {spec.name} on this env: {message}") from None


def _maskable_ppo() -> type[BaseAlgorithm]:
    try:
        from sb3_contrib import MaskablePPO
    except ImportError as error:
        raise LearnerError(f"{_NEEDS_CONTRIB}: {error}") from None
    cls: type[BaseAlgorithm] = MaskablePPO
    return cls
