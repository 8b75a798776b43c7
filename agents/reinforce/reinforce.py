"""REINFORCE with a moving-average (or per-input) baseline and an entropy bonus: NAT's policy learner."""

from __future__ import annotations

import io
import pathlib
from typing import Any, ClassVar, TypeVar

import gymnasium as gym
import numpy as np
import numpy.typing as npt
import torch as th
from gymnasium import spaces
from gymnasium.vector import VectorEnv
from stable_baselines3.common.buffers import RolloutBuffer
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.on_policy_algorithm import OnPolicyAlgorithm
from stable_baselines3.common.policies import ActorCriticPolicy, BasePolicy
from stable_baselines3.common.type_aliases import GymEnv, MaybeCallback, Schedule
from stable_baselines3.common.utils import obs_as_tensor
from stable_baselines3.common.vec_env import VecEnv

from agents.batching import vectorize
from agents.reinforce.policies import GCNPolicy, LSTMPolicy, MlpPolicy, MultiInputPolicy, ReferenceGCNPolicy

SelfREINFORCE = TypeVar("SelfREINFORCE", bound="REINFORCE")
DEFAULT_N_SAMPLES = 4


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
    * ``n_samples > 1``: each input genotype is shown ``n_samples`` times (to a group of envs of the
      batched form, or in a row through :class:`RepeatInput`) and :math:`b_i` is the mean reward of the *other* samples of the same input
      in the rollout (leave-one-out, so the gradient stays unbiased); an input seen once falls back to
      the moving average, which keeps being updated with every reward.

    The policy's value head, if it has one, is neither trained nor used (the rollout buffer records
    zeros). Each step's log-probabilities come from the forward that sampled the actions
    (:meth:`collect_rollouts`), so an update costs one forward per step and one backward. Everything else (``learn``, callbacks, logger, ``save`` /
    ``load``, ``predict``, seeding) is SB3's.

    The class defaults are the settings that work on NAT's one-step MDP: 8 inputs × 4 samples per
    update with the per-input baseline, standardised advantages, entropy 0.01 and Adam at 1e-3 (the
    authors' betas and weight decay). :data:`PAPER_SETTINGS` holds the paper's.

    Args:
        policy: a policy class or alias (``GCNPolicy``, ``ReferenceGCNPolicy``, ``LSTMPolicy``,
            ``MultiInputPolicy``, ``MlpPolicy``).
        env: the environment: an env, an id, an SB3 VecEnv or a Gymnasium vector env (``gym.make_vec``).
        learning_rate: Adam's learning rate (paper: 3e-4), or a schedule.
        n_steps: steps per env per update, as in SB3 (paper: 1): an update's batch is ``n_steps x
            n_envs`` episodes. A plain env is one env, stepped ``n_steps`` times; to collect the batch
            with one policy forward, give the batched form instead (``gym.make_vec(id, num_envs=N,
            n_samples=...)`` on the exact ids, or :func:`agents.batching.learner_env`, which
            :func:`agents.make_learner` uses) with ``n_steps=1``.
        n_samples: episodes per input genotype (paper: 1): groups of envs of the batched form, else
            consecutive episodes (a plain env is wrapped in :class:`RepeatInput`; wrap each env
            yourself for a VecEnv); it should divide ``n_steps`` (must, for a batched env).
        ent_coef: entropy bonus λ (paper: 0.003 on raw rewards).
        baseline_decay: δ of the moving-average baseline (paper: 0.99).
        gamma: discount factor for multi-step episodes (irrelevant for NAT's one-step episodes).
        normalize_advantage: whether to standardise the advantages within each update (paper: no).
        max_grad_norm: gradient-norm clip; ``None`` (paper) does not clip.
        policy_kwargs: policy arguments; ``optimizer_kwargs`` defaults to the paper's Adam settings
            (betas (0.5, 0.999), weight decay 5e-4) with torch's multi-tensor ``foreach`` step.
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
        env: GymEnv | VectorEnv[Any, Any, Any] | str,
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
        if env is not None and _init_setup_model:  # SB3's load prepares the env itself
            env = vectorize(gym.make(env) if isinstance(env, str) else env, 1, n_samples)
            grouped = not isinstance(env, VecEnv) or (
                env.has_attr("n_samples") and set(env.get_attr("n_samples")) == {n_samples}
            )
            if n_samples > 1 and not grouped:
                raise ValueError(
                    "with n_samples > 1, give a vector env whose envs group their inputs in n_samples "
                    "(gym.make_vec(id, num_envs=N, n_samples=n), or agents.RepeatInput around each env)"
                )
        policy_kwargs = dict(policy_kwargs or {})
        if "optimizer_class" not in policy_kwargs:  # Adam; foreach: one kernel per step for all tensors
            policy_kwargs.setdefault("optimizer_kwargs", {**PAPER_OPTIMIZER_KWARGS, "foreach": True})
        super().__init__(
            policy,
            env,  # type: ignore[arg-type]  # a Gymnasium vector env was adapted to SB3 above
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
        self._rollout_log_probs: th.Tensor | None = None
        self._rollout_entropies: th.Tensor | None = None
        if _init_setup_model:
            self._setup_model()

    def set_env(self, env: GymEnv, force_reset: bool = True) -> None:
        """SB3's ``set_env``; a plain env becomes this model's ``n_envs`` envs in groups of ``n_samples``
        (:func:`agents.batching.vectorize`)."""
        super().set_env(vectorize(env, self.n_envs, self.n_samples), force_reset)

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
        """SB3's ``load``, then :meth:`set_env`: a plain env becomes the saved ``n_envs`` envs in groups of
        the saved ``n_samples``, as it was trained (SB3 alone would wrap it as one env, unrepeated)."""
        model = super().load(path, None, device, custom_objects, print_system_info, force_reset, **kwargs)
        assert isinstance(model, REINFORCE)
        if env is not None:
            model.set_env(env, force_reset)
        return model

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "_rollout_log_probs", "_rollout_entropies"]

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

    def collect_rollouts(
        self, env: VecEnv, callback: BaseCallback, rollout_buffer: RolloutBuffer, n_rollout_steps: int
    ) -> bool:
        """SB3's rollout collection with one policy forward per step, kept for :meth:`train`.

        An update's gradient needs the log-probabilities of the sampled actions under the policy that
        sampled them, which is the policy :meth:`train` steps; so they (and the entropies) are kept with
        their autograd graph instead of being recomputed, and neither values nor a bootstrap are
        computed (REINFORCE uses Monte Carlo returns; a truncated episode keeps the rewards it saw).
        The policy stays in training mode throughout, so sampling and the gradient see one network.
        """
        assert self._last_obs is not None, "no previous observation"
        if not self.policy.training:  # predict() and evaluation leave it in eval mode
            self.policy.set_training_mode(True)
        rollout_buffer.reset()
        callback.on_rollout_start()
        log_probs: list[th.Tensor] = []
        entropies: list[th.Tensor | None] = []
        zeros = th.zeros(env.num_envs)
        dones = np.zeros(env.num_envs, bool)
        for _ in range(n_rollout_steps):
            distribution = self.policy.get_distribution(obs_as_tensor(self._last_obs, self.device))  # type: ignore[arg-type]
            actions = distribution.get_actions()
            log_probs.append(distribution.log_prob(actions))
            entropies.append(distribution.entropy())
            sampled = actions.detach().cpu().numpy()
            new_obs, rewards, dones, infos = env.step(self._env_actions(sampled))
            self.num_timesteps += env.num_envs
            callback.update_locals(locals())
            if not callback.on_step():
                return False
            self._update_info_buffer(infos, dones)
            if isinstance(self.action_space, spaces.Discrete):
                sampled = sampled.reshape(-1, 1)
            rollout_buffer.add(self._last_obs, sampled, rewards, self._last_episode_starts, zeros, zeros)  # type: ignore[arg-type]
            self._last_obs, self._last_episode_starts = new_obs, dones  # type: ignore[assignment]
        rollout_buffer.compute_returns_and_advantage(last_values=zeros, dones=dones)
        self._rollout_log_probs = th.stack(log_probs).flatten()
        self._rollout_entropies = None if entropies[0] is None else th.stack(entropies).flatten()  # type: ignore[arg-type]
        callback.update_locals(locals())
        callback.on_rollout_end()
        return True

    def _env_actions(self, actions: npt.NDArray[Any]) -> npt.NDArray[Any]:
        """Sampled actions as the env takes them: a Box action is unsquashed or clipped (as SB3 does)."""
        if not isinstance(self.action_space, spaces.Box):
            return actions
        if self.policy.squash_output:
            unscaled: npt.NDArray[Any] = self.policy.unscale_action(actions)
            return unscaled
        clipped: npt.NDArray[Any] = np.clip(actions, self.action_space.low, self.action_space.high)
        return clipped

    def _input_keys(self, rows: int) -> list[bytes]:
        """One key per buffer row (collection order): the bytes of its observation, equal for equal inputs."""
        stored = self.rollout_buffer.observations
        arrays = [stored[key] for key in sorted(stored)] if isinstance(stored, dict) else [stored]
        flat = np.concatenate([array.reshape(rows, -1) for array in arrays], axis=1)
        return [row.tobytes() for row in flat]

    def train(self) -> None:
        """One policy-gradient step on the collected rollout (in collection order, no shuffling)."""
        if self._rollout_log_probs is None:
            raise RuntimeError("train() needs a rollout from collect_rollouts() first")
        log_prob, entropy = self._rollout_log_probs, self._rollout_entropies
        self._rollout_log_probs = self._rollout_entropies = None
        self._update_learning_rate(self.policy.optimizer)
        buffer = self.rollout_buffer
        rows = buffer.buffer_size * buffer.n_envs
        keys = self._input_keys(rows) if self.n_samples > 1 else []  # only the per-input baseline reads them
        returns = buffer.returns.reshape(rows).astype(np.float32)
        advantages = returns - self._baselines(returns, keys)
        if self.normalize_advantage and rows > 1:
            advantages = (advantages - advantages.mean()) / (advantages.std() + 1e-8)

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
