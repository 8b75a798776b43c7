"""The one-step MDP: observe β, rewrite every edge, receive acc(α) − acc(β).

The environment composes injected parts (an evaluator, a sampler of β, transitions, an encoder and an
optional cost model); it computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
import numpy.typing as npt
from gymnasium import spaces

from nat_env.encoding import Encoder, Observation
from nat_env.evaluation import Evaluation, Evaluator
from nat_env.frames import frame
from nat_env.genotypes import Genotype, resolve
from nat_env.sampler import GenotypeSampler
from nat_env.transitions import IllegalPolicy, Transitions, changed_edges

InputSampler = Callable[[np.random.Generator], Genotype]
CostModel = Callable[[Genotype], tuple[int, int]]
EPISODE_ENDED = "this episode has ended (one step per episode, terminated=True): call reset() before step()"
"""What stepping a finished episode again raises (Gymnasium's order: reset, then step)."""


class TransformEnv(gym.Env[Observation, npt.NDArray[np.int64]]):
    """Architecture transformation as a one-step episode (NAT, Guo et al., 2019).

    ## Description
    An episode shows an input genotype β. The agent rewrites every edge at once; the episode ends and
    the reward is the validation-accuracy gain of the transformed genotype α over β.

    ## Action Space
    ``MultiDiscrete([K] * E)``: one choice per edge (edges of the normal cell, then of the reduction
    cell, each grouped by target node). NAT: K = 3 (0 keep, 1 skip, 2 null); NAT++: K = 13 (the
    resulting op, see :data:`nat_env.ops.NATPP_OPS`). The legal choices are in
    ``observation["action_mask"]`` and :meth:`action_masks`. A wrong shape or an out-of-range value
    raises ``ValueError``; an in-range choice the mask forbids keeps that edge unchanged (``on_illegal=
    "keep"``, the default, for learners that ignore masks; counted in ``info["illegal_edges"]``) or
    raises (``on_illegal="raise"``). NAT's keep (0) is legal only on an edge with compute: on a skip
    or null edge the same α is reached by its own choice (1 or 2), so keep there is masked, one α per
    legal action. Under the default it still leaves the edge as it is, and counts as illegal: the
    all-keep action ``np.zeros(E)`` returns α = β with ``illegal_edges`` = the number of skip and null
    edges of β.

    ## Observation Space
    A ``Dict`` of fixed-shape arrays describing β's cell graph (see :mod:`nat_env.encoding`).

    ## Rewards
    ``acc(α) − acc(β)`` as a fraction in [-1, 1], both measured by the evaluator on the same validation
    data. Test accuracies never enter the reward.

    ## Starting State
    β is drawn from the sampler, or fixed with ``reset(options={"genotype": ...})`` (a genotype, a
    published name or genotype text).

    ## Episode End
    After one step (``terminated=True``). The observation returned by ``step`` encodes α. Stepping a
    finished episode again without ``reset`` raises ``RuntimeError``.

    ## Info
    ``reset``: ``beta`` (text). ``step``: ``beta`` and ``alpha`` (text), ``acc_beta`` and ``acc_alpha``
    (validation fractions), ``changed_edges``, ``alpha_equals_beta``, the evaluator's extras suffixed
    ``_beta``/``_alpha`` and, with a cost model, ``params_*`` and ``madds_*``.

    ## Arguments
    evaluator, sampler, transitions, encoder, cost (optional), on_illegal, truth (optional: the ground
    truth, whose accuracies ride along in ``info`` as ``table_val_accuracy_*`` and its extras such as
    ``test_accuracy_*``; never rewarded), render_mode (``ansi``: β and α as text; ``rgb_array``: the
    cell picture of :func:`nat_env.frames.rgb_array` as an ``(H, W, 3)`` uint8 array of one size per env,
    β above a blank row after ``reset`` and above α with both accuracies after ``step``, drawn with
    Pillow (no optional extra); or None).

    ## Version History
    * v0: initial version.
    """

    # One frame per reset and per step; render_fps paces video recorders.
    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 1}  # noqa: RUF012 - Gymnasium's convention

    def __init__(
        self,
        evaluator: Evaluator,
        sampler: InputSampler | GenotypeSampler,
        transitions: Transitions,
        encoder: Encoder,
        cost: CostModel | None = None,
        on_illegal: IllegalPolicy = "keep",
        render_mode: str | None = None,
        *,
        truth: Evaluator | None = None,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']} or None")
        self.evaluator = evaluator
        self.sampler: InputSampler = sampler.sample if isinstance(sampler, GenotypeSampler) else sampler
        self.transitions = transitions
        self.encoder = encoder
        self.cost = cost
        self.on_illegal: IllegalPolicy = on_illegal
        self.render_mode = render_mode
        self.observation_space = encoder.observation_space()  # type: ignore[assignment]
        self.action_space = spaces.MultiDiscrete(np.full(encoder.n_edges, transitions.n_choices, np.int64))
        self.truth = truth
        """An evaluator of the ground truth for reports (never rewarded), where one exists; the
        evaluator itself when the reward is exact."""
        self._beta: Genotype | None = None
        self._alpha: Genotype | None = None
        self._accuracies: tuple[float, float] | None = None
        self._mask: npt.NDArray[np.bool_] | None = None

    @property
    def beta(self) -> Genotype:
        """The current input genotype."""
        if self._beta is None:
            raise RuntimeError("call reset() before using the environment")
        return self._beta

    @property
    def alpha(self) -> Genotype | None:
        """The transformed genotype of the last step (``None`` before it)."""
        return self._alpha

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[Observation, dict[str, Any]]:
        super().reset(seed=seed)
        spec = (options or {}).get("genotype")
        beta = self.sampler(self.np_random) if spec is None else resolve(spec)
        self.encoder.check(beta)
        self._beta, self._alpha, self._accuracies = beta, None, None
        self._mask = self.transitions.mask(beta)
        return self.encoder.encode(beta), {"beta": str(beta)}

    def action_masks(self) -> npt.NDArray[np.bool_]:
        """The flat legal-choice mask of the current β, edge-major (for sb3-contrib's MaskablePPO)."""
        if self._mask is None:
            raise RuntimeError("call reset() before action_masks()")
        return self._mask.reshape(-1).copy()

    def step(self, action: npt.NDArray[np.int64]) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        self._refuse_a_finished_episode()
        alpha = self.rewrite(action)
        eval_beta, eval_alpha = self.evaluator.evaluate([self.beta, alpha])
        return self.conclude(action, alpha, eval_beta, eval_alpha)

    def rewrite(self, action: npt.NDArray[np.int64]) -> Genotype:
        """α: the current β with every edge rewritten by ``action`` (a pure function of β and the action).

        Raises:
            ValueError: for a wrong shape, an out-of-range value, or (``on_illegal="raise"``) a masked
                choice.
        """
        return self.transitions.apply(self.beta, action, self.on_illegal)

    def conclude(
        self, action: npt.NDArray[np.int64], alpha: Genotype, eval_beta: Evaluation, eval_alpha: Evaluation
    ) -> tuple[Observation, float, bool, bool, dict[str, Any]]:
        """End the episode with α and the two evaluations that reward it (one evaluator call scored both).

        :meth:`step` calls it after one evaluation of β and α; a vectorised env that scores the pairs of
        many envs in one call (``agents.batching.SupernetVecEnv``) calls it with each env's pair.
        """
        beta = self.beta
        assert self._mask is not None
        self._alpha = alpha
        reward = float(eval_alpha.accuracy - eval_beta.accuracy)
        self._accuracies = (eval_beta.accuracy, eval_alpha.accuracy)
        changed = list(changed_edges(beta, alpha))
        choices = np.asarray(action, np.int64).tolist()
        info: dict[str, Any] = {
            "beta": str(beta),
            "alpha": str(alpha),
            "acc_beta": eval_beta.accuracy,
            "acc_alpha": eval_alpha.accuracy,
            "changed_edges": changed,
            "alpha_equals_beta": not changed,  # α is β with new ops: equal exactly when no op changed
            "illegal_edges": [row[k] for row, k in zip(self._mask.tolist(), choices, strict=True)].count(
                False
            ),
        }
        for key, value in eval_beta.extra.items():
            info[f"{key}_beta"] = value
        for key, value in eval_alpha.extra.items():
            info[f"{key}_alpha"] = value
        if self.truth is not None and self.truth is not self.evaluator:
            true_beta, true_alpha = self.truth.evaluate([beta, alpha])
            info["table_val_accuracy_beta"], info["table_val_accuracy_alpha"] = (
                true_beta.accuracy,
                true_alpha.accuracy,
            )
            for key, value in true_beta.extra.items():
                info[f"{key}_beta"] = value
            for key, value in true_alpha.extra.items():
                info[f"{key}_alpha"] = value
        if self.cost is not None:
            info["params_beta"], info["madds_beta"] = self.cost(beta)
            info["params_alpha"], info["madds_alpha"] = self.cost(alpha)
        return self.encoder.encode(alpha), reward, True, False, info

    def _refuse_a_finished_episode(self) -> None:
        """Raise ``RuntimeError`` when this episode's one step is done (Gymnasium's order: reset first)."""
        if self.alpha is not None:
            raise RuntimeError(EPISODE_ENDED)

    def render(self) -> str | npt.NDArray[np.uint8] | None:
        return frame(self.render_mode, self.beta, self.alpha, self._accuracies)
