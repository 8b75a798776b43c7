"""The learners' names, the second stages and the held-out seed, importable without torch (``nat --help`` lists them).

:mod:`agents.zoo` builds a learner from an algorithm and a policy name; :mod:`agents.evaluation` draws
held-out inputs from :data:`HELD_OUT_SEED` on.
"""

from __future__ import annotations

ALGORITHMS = ("reinforce", "ppo", "a2c", "maskable_ppo", "random")
"""Algorithm names."""
POLICIES = ("gcn", "reference", "lstm", "mlp")
"""Policy names."""
SECOND_STAGES = ("finetune", "neighbourhood")
"""The second stages of two-stage selection on a supernet env (:func:`agents.evaluation.second_stage_of`)."""
HELD_OUT_SEED = 1_000_000
"""Seed of the first held-out input (``reset(seed=HELD_OUT_SEED + i)``), far from training seeds."""


def is_import_path(policy: str) -> bool:
    """Whether a policy name is ``package.module:Class`` (a user's own policy)."""
    module, sep, name = policy.partition(":")
    return bool(sep) and all(part.isidentifier() for part in [*module.split("."), name])
