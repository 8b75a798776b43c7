"""The random-search baseline: a uniformly random legal transition on every edge."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt


class RandomAgent:
    """Picks every edge's choice uniformly among its legal ones (NAT's "random search" row, Table 3).

    It has SB3's ``predict`` signature, so evaluation code can treat it as a trained model; ``learn``
    does nothing.

    Args:
        seed: seed of the agent's own generator.
    """

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def learn(self, total_timesteps: int = 0, **kwargs: Any) -> RandomAgent:
        """No-op (nothing to learn); returns self like SB3's ``learn``."""
        return self

    def predict(
        self,
        observation: dict[str, npt.NDArray[Any]],
        state: tuple[npt.NDArray[Any], ...] | None = None,
        episode_start: npt.NDArray[Any] | None = None,
        deterministic: bool = False,
    ) -> tuple[npt.NDArray[np.int64], tuple[npt.NDArray[Any], ...] | None]:
        """A random legal action per observation (``deterministic`` is ignored).

        Shapes:
            ``observation["action_mask"]``: ``(E * K,)`` or ``(B, E * K)``; ``observation["edge_op"]``:
            ``(E,)`` or ``(B, E)``. Returns actions ``(E,)`` or ``(B, E)``.
        """
        edge_op = np.asarray(observation["edge_op"])
        n_edges = edge_op.shape[-1]
        mask = np.asarray(observation["action_mask"]).reshape(*edge_op.shape, -1) > 0.5
        scores = np.where(mask, self.rng.random(mask.shape), -1.0)
        return np.asarray(np.argmax(scores, axis=-1), np.int64).reshape(*edge_op.shape[:-1], n_edges), state
