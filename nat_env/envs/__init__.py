"""Environments: the one-step transformation MDP and the registered ids.

Ids (registered on ``import nat_env``):

* ``NAT-CIFAR10-v0``: rewards from a shared-weight supernet on CIFAR-10 (:mod:`nat_env.envs.supernet`).
* ``NAT-NB201-CIFAR10-v0``, ``NAT-NB201-CIFAR100-v0``, ``NAT-NB201-ImageNet16-v0``: exact rewards from
  the NAS-Bench-201 table (:mod:`nat_env.envs.nb201`); ``gym.make_vec`` gives their batched form
  (:mod:`nat_env.envs.nb201_vector`).
* ``NAT-NB201-Supernet-CIFAR10-v0``: NAS-Bench-201 cells with supernet rewards, the table's truth in
  ``info`` (:mod:`nat_env.envs.supernet`).
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from nat_env.envs.transform import TransformEnv

__all__ = ["NB201_IDS", "SUPERNET_IDS", "TransformEnv"]

NB201_IDS: dict[str, str] = {
    "NAT-NB201-CIFAR10-v0": "cifar10",
    "NAT-NB201-CIFAR100-v0": "cifar100",
    "NAT-NB201-ImageNet16-v0": "imagenet16",
}
SUPERNET_IDS: tuple[str, ...] = ("NAT-CIFAR10-v0", "NAT-NB201-Supernet-CIFAR10-v0")


def _register() -> None:
    for env_id, dataset in NB201_IDS.items():
        if env_id not in registry:
            register(
                env_id,
                entry_point="nat_env.envs.nb201:make_nb201_env",
                vector_entry_point="nat_env.envs.nb201_vector:make_nb201_vector_env",
                kwargs={"dataset": dataset},
            )
    if "NAT-CIFAR10-v0" not in registry:
        # One-step episodes; the supernet's reward depends on its training, hence nondeterministic in
        # the "online" mode. The "pretrained" default is a frozen, stationary MDP.
        register("NAT-CIFAR10-v0", entry_point="nat_env.envs.supernet:make_cifar10_env")
    if "NAT-NB201-Supernet-CIFAR10-v0" not in registry:
        register("NAT-NB201-Supernet-CIFAR10-v0", entry_point="nat_env.envs.supernet:make_nb201_supernet_env")


_register()
