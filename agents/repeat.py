"""A wrapper that shows each sampled input genotype for several episodes in a row (n samples per input)."""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym


class RepeatInput(gym.Wrapper[Any, Any, Any, Any]):
    """Repeat each input genotype β for ``n_samples`` consecutive episodes.

    NAT's objective averages over m inputs × n samples per input (Guo et al., 2019, Algorithm 1). A
    vectorised env resets itself after every one-step episode, so repetition lives in ``reset``: every
    ``n_samples``-th reset draws a fresh β, the others call ``reset(options={"genotype": β})`` with the
    β the wrapped env reported in ``info["beta"]``. A reset with a seed or an explicit genotype
    starts a new group.

    Args:
        env: an env that follows the :class:`nat_env.TransformEnv` contract.
        n_samples: episodes per input genotype.
    """

    def __init__(self, env: gym.Env[Any, Any], n_samples: int) -> None:
        if n_samples < 1:
            raise ValueError(f"n_samples must be at least 1, got {n_samples}")
        super().__init__(env)
        self.n_samples = n_samples
        self._left = 0
        self._beta: Any = None

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Any, dict[str, Any]]:
        if seed is not None or (options or {}).get("genotype") is not None or self._left == 0:
            obs, info = self.env.reset(seed=seed, options=options)
            self._beta, self._left = info["beta"], self.n_samples - 1
            return obs, info
        self._left -= 1
        return self.env.reset(options={**(options or {}), "genotype": self._beta})

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        return self.env.step(action)
