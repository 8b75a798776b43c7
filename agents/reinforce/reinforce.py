"""REINFORCE with a moving-average (or per-input) baseline and an entropy bonus: NAT's policy learner."""

from __future__ import annotations

import io
import json
import pathlib
import zipfile
from typing import Any, ClassVar, TypeVar

import gymnasium as gym
import numpy as np
import numpy.typing as npt
import torch as th
from gymnasium import spaces
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, Schedule
from stable_baselines3.common.vec_env import VecEnv

from agents.reinforce.policies import GCNPolicy, LSTMPolicy, MlpPolicy, MultiInputPolicy, ReferenceGCNPolicy
from agents.reinforce.repeat import RepeatInput

SelfREINFORCE = TypeVar("SelfREINFORCE", bound="REINFORCE")
DEFAULT_N_SAMPLES = 4


def _repeat(env: GymEnv, n_samples: int) -> GymEnv:
    """``env`` wrapped in :class:`RepeatInput` when ``n_samples > 1`` (a VecEnv is left to the user)."""
    if n_samples > 1 and not isinstance(env, VecEnv | RepeatInput):
        return RepeatInput(env, n_samples)
    return env


PAPER_OPTIMIZER_KWARGS: dict[str, Any] = {"betas": (0.5, 0.999), "weight_decay": 5e-4}
"""The NAT authors' Adam settings for the policy, kept by the class defaults."""
PAPER_SETTINGS: dict[str, Any] = {
    "learning_rate": 3e-4,
    "n_steps": 1,
    "n_samples": 1,
    "ent_coef": 0.003,
    "normalize_advantage": False,
}
"""The NAT authors' REINFORCE (Guo et al., 2019, Algorithm 1): one episode per update (m = 1 input,
n = 1 sample), a moving-average baseline, entropy bonus 0.003 on raw rewards, Adam at 3e-4.
``REINFORCE(policy, env, **PAPER_SETTINGS)`` reproduces it; on exact NAS-Bench-201 rewards it learns
more slowly and less than the class defaults (``benchmarks/README.md``, "REINFORCE settings")."""


class REINFORCE(OnPolicyAlgorithm):
    r"""REINFORCE (Williams, 1992) as NAT trains its policy (Guo et al., 2019, eq. 3 and Algorithm 1).

    Each update collects ``n_steps`` episodes per env (one-step episodes: m inputs × n samples) and
    takes one gradient step on

    .. math::
        L(\theta) = -\frac{1}{B} \sum_i (R_i - b_i) \log \pi_\theta(a_i \mid s_i)
                    - \lambda \frac{1}{B} \sum_i \mathcal{H}(\pi_\theta(\cdot \mid s_i))

    with :math:`R_i` the episode return (the reward of a one-step episode; discounted Monte Carlo
    returns otherwise) and the baseline :math:`b_i`:

    * ``n_samples == 1``: a moving average of the *rewards*, visited in collection order,
      :math:`b \leftarrow \delta b + (1 - \delta) R_i`, with :math:`b_i` the value before sample
      :math:`i` (it starts at the mean reward of the first rollout rather than 0, so that early updates
      do not reinforce every sampled action alike). The authors updated it with the advantage, which makes it settle at half
      the mean reward (docs/background.md, mistake 2).
    * ``n_samples > 1``: each input genotype is shown ``n_samples`` times in a row (the env is wrapped in
      :class:`RepeatInput`) and :math:`b_i` is the mean reward of the *other* samples of the same input
      in the rollout (leave-one-out, so the gradient stays unbiased); an input seen once falls back to
      the moving average, which keeps being updated with every reward.

    The policy's value head, if it has one, is neither trained nor used (the rollout buffer still
    records its outputs, which is harmless). Everything else (``learn``, callbacks, logger, ``save`` /
    ``load``, ``predict``, seeding) is SB3's.

    The class defaults are the settings that work on NAT's one-step MDP: 8 inputs × 4 samples per
    update with the per-input baseline, standardised advantages, entropy 0.01 and Adam at 1e-3 (the
    authors' betas and weight decay). :data:`PAPER_SETTINGS` holds the paper's.

    Args:
        policy: a policy class or alias (``GCNPolicy``, ``ReferenceGCNPolicy``, ``LSTMPolicy``,
            ``MultiInputPolicy``, ``MlpPolicy``).
        env: the environment (an env, an id or a VecEnv).
        learning_rate: Adam's learning rate (paper: 3e-4), or a schedule.
        n_steps: episodes per env per update (paper: 1).
        n_samples: consecutive episodes per input genotype (paper: 1); > 1 wraps a non-vectorised env
            in :class:`RepeatInput` (wrap each env yourself for a VecEnv) and should divide ``n_steps``.
        ent_coef: entropy bonus λ (paper: 0.003 on raw rewards).
        baseline_decay: δ of the moving-average baseline (paper: 0.99).
        gamma: discount factor for multi-step episodes (irrelevant for NAT's one-step episodes).
        normalize_advantage: whether to standardise the advantages within each update (paper: no).
        max_grad_norm: gradient-norm clip; ``None`` (paper) does not clip.
        policy_kwargs: policy arguments; ``optimizer_kwargs`` defaults to the paper's Adam settings
            (betas (0.5, 0.999), weight decay 5e-4).
        stats_window_size, tensorboard_log, verbose, seed, device, _init_setup_model: as in SB3.
    """

    DEFAULT_N_SAMPLES: ClassVar[int] = DEFAULT_N_SAMPLES
    """Samples per input of the default setting."""
    policy_aliases: ClassVar[dict[str, type[BasePolicy]]] = {
        "MlpPolicy": MlpPolicy,
        "MultiInputPolicy": MultiInputPolicy,
        "GCNPolicy": GCNPolicy,
        "ReferenceGCNPolicy": ReferenceGCNPolicy,
        "LSTMPolicy": LSTMPolicy,
    }

    def __init__(
        self,
        policy: str | type[ActorCriticPolicy],
        env: GymEnv | str,
        learning_rate: float | Schedule = 1e-3,
        n_steps: int = 32,
        n_samples: int = DEFAULT_N_SAMPLES,
        ent_coef: float = 0.01,
        baseline_decay: float = 0.99,
        gamma: float = 1.0,
        normalize_advantage: bool = True,
        max_grad_norm: float | None = None,
        stats_window_size: int = 100,
        tensorboard_log: str | None = None,
        policy_kwargs: dict[str, Any] | None = None,
        verbose: int = 0,
        seed: int | None = None,
        device: th.device | str = "auto",
        _init_setup_model: bool = True,
    ) -> None:
        if n_samples > 1 and env is not None and _init_setup_model:  # SB3's load wraps the env itself
            if isinstance(env, str):
                env = gym.make(env)
            if isinstance(env, VecEnv):
                raise ValueError(
                    "with n_samples > 1, wrap each env of the VecEnv in agents.RepeatInput yourself"
                )
            env = RepeatInput(env, n_samples)
        policy_kwargs = dict(policy_kwargs or {})
        policy_kwargs.setdefault("optimizer_kwargs", dict(PAPER_OPTIMIZER_KWARGS))
        super().__init__(
            policy,
            env,
            learning_rate=learning_rate,
            n_steps=n_steps,
            gamma=gamma,
            gae_lambda=1.0,
            ent_coef=ent_coef,
            vf_coef=0.0,
            max_grad_norm=0.0 if max_grad_norm is None else max_grad_norm,
            use_sde=False,
            sde_sample_freq=-1,
            stats_window_size=stats_window_size,
            tensorboard_log=tensorboard_log,
            policy_kwargs=policy_kwargs,
            verbose=verbose,
            seed=seed,
            device=device,
            _init_setup_model=False,
            supported_action_spaces=(spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary, spaces.Box),
        )
        self.n_samples = n_samples
        self.baseline_decay = baseline_decay
        self.clip_grad_norm = max_grad_norm
        self.normalize_advantage = normalize_advantage
        self.baseline: float | None = None
        if _init_setup_model:
            self._setup_model()

    def set_env(self, env: GymEnv, force_reset: bool = True) -> None:
        """SB3's ``set_env``; with ``n_samples > 1`` a plain env is wrapped in :class:`RepeatInput` first."""
        super().set_env(_repeat(env, self.n_samples), force_reset)

    @classmethod
    def load(
        cls,
        path: str | pathlib.Path | io.BufferedIOBase,
        env: GymEnv | None = None,
        device: th.device | str = "auto",
        custom_objects: dict[str, Any] | None = None,
        print_system_info: bool = False,
        force_reset: bool = True,
        **kwargs: Any,
    ) -> REINFORCE:
        """SB3's ``load``; a plain env is wrapped in :class:`RepeatInput` as the saved ``n_samples`` asks.

        SB3 vectorises ``env`` before the saved attributes are restored, so without this a model trained
        with several samples per input would continue training on unrepeated inputs.
        """
        if env is not None and not isinstance(env, VecEnv) and not isinstance(path, io.BufferedIOBase):
            with zipfile.ZipFile(path) as archive:
                saved = json.loads(archive.read("data"))
            env = _repeat(env, int(saved.get("n_samples", 1)))
        model = super().load(path, env, device, custom_objects, print_system_info, force_reset, **kwargs)
        assert isinstance(model, REINFORCE)
        return model

    def _baselines(self, returns: npt.NDArray[np.float32], keys: list[bytes]) -> npt.NDArray[np.float32]:
        """Per-sample baselines (see the class docstring); updates the moving average."""
        if self.baseline is None:
            self.baseline = float(returns.mean())
        moving = np.empty_like(returns)
        for i, reward in enumerate(returns):
            moving[i] = self.baseline
            self.baseline = self.baseline_decay * self.baseline + (1.0 - self.baseline_decay) * float(reward)
        if self.n_samples == 1:
            return moving
        groups: dict[bytes, list[int]] = {}
        for i, key in enumerate(keys):
            groups.setdefault(key, []).append(i)
        baselines = moving.copy()
        for rows in groups.values():
            if len(rows) > 1:
                total = returns[rows].sum()
                baselines[rows] = (total - returns[rows]) / (len(rows) - 1)
        return baselines

    def train(self) -> None:
        """One policy-gradient step on the collected rollout (in collection order, no shuffling)."""
        self.policy.set_training_mode(True)
        self._update_learning_rate(self.policy.optimizer)
        buffer = self.rollout_buffer
        rows = buffer.buffer_size * buffer.n_envs
        observations: dict[str, npt.NDArray[Any]] | npt.NDArray[Any]
        if isinstance(buffer.observations, dict):
            observations = {
                key: value.reshape(rows, *value.shape[2:]) for key, value in buffer.observations.items()
            }
            keys = [b"".join(observations[k][i].tobytes() for k in sorted(observations)) for i in range(rows)]
        else:
            observations = buffer.observations.reshape(rows, *buffer.observations.shape[2:])
            keys = [observations[i].tobytes() for i in range(rows)]
        returns = buffer.returns.reshape(rows).astype(np.float32)
        advantages = returns - self._baselines(returns, keys)
        if self.normalize_advantage and rows > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)

        obs_tensor = (
            {key: th.as_tensor(value, device=self.device) for key, value in observations.items()}
            if isinstance(observations, dict)
            else th.as_tensor(observations, device=self.device)
        )
        actions = th.as_tensor(buffer.actions.reshape(rows, -1), device=self.device)
        if isinstance(self.action_space, spaces.Discrete):
            actions = actions.long().flatten()
        _, log_prob, entropy = self.policy.evaluate_actions(obs_tensor, actions)
        advantage_tensor = th.as_tensor(advantages, device=self.device)
        policy_loss = -(advantage_tensor * log_prob).mean()
        entropy_loss = -th.mean(-log_prob) if entropy is None else -th.mean(entropy)
        loss = policy_loss + self.ent_coef * entropy_loss

        self.policy.optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]
        if self.clip_grad_norm is not None:
            th.nn.utils.clip_grad_norm_(self.policy.parameters(), self.clip_grad_norm)
        self.policy.optimizer.step()
        self._n_updates += 1

        self.logger.record("train/policy_loss", policy_loss.item())
        self.logger.record("train/entropy_loss", entropy_loss.item())
        self.logger.record("train/loss", loss.item())
        self.logger.record("train/baseline", float(self.baseline or 0.0))
        self.logger.record("train/mean_return", float(returns.mean()))
        self.logger.record("train/n_updates", self._n_updates, exclude="tensorboard")

    def learn(
        self: SelfREINFORCE,
        total_timesteps: int,
        callback: MaybeCallback = None,
        log_interval: int = 100,
        tb_log_name: str = "REINFORCE",
        reset_num_timesteps: bool = True,
        progress_bar: bool = False,
    ) -> SelfREINFORCE:
        return super().learn(
            total_timesteps=total_timesteps,
            callback=callback,
            log_interval=log_interval,
            tb_log_name=tb_log_name,
            reset_num_timesteps=reset_num_timesteps,
            progress_bar=progress_bar,
        )
