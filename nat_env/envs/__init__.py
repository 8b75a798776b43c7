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

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from gymnasium.envs.registration import EnvSpec, load_env_creator, register, registry

from nat_env.envs.transform import TransformEnv
from nat_env.genotypes import CellStyle

__all__ = [
    "NB201_IDS",
    "SPACE_NAMES",
    "SUPERNET_IDS",
    "TransformEnv",
    "cell_space",
    "checked_arguments",
    "with_space",
]

F = TypeVar("F", bound=Callable[..., Any])

NB201_IDS: dict[str, str] = {
    "NAT-NB201-CIFAR10-v0": "cifar10",
    "NAT-NB201-CIFAR100-v0": "cifar100",
    "NAT-NB201-ImageNet16-v0": "imagenet16",
}
SUPERNET_IDS: tuple[str, ...] = ("NAT-CIFAR10-v0", "NAT-NB201-Supernet-CIFAR10-v0")
SPACE_NAMES: dict[str, str] = {"nb201": "NAS-Bench-201 cells", "darts": "DARTS cells"}
"""How messages name a cell space."""


def cell_space(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> CellStyle | None:
    """The cell space of an id's genotypes (``nb201`` or ``darts``) without making the env; ``None`` for an
    id that is not nat-gym's."""
    if env_id in NB201_IDS or env_id == "NAT-NB201-Supernet-CIFAR10-v0":
        return "nb201"
    if env_id == "NAT-CIFAR10-v0":
        return "nb201" if (env_kwargs or {}).get("space") == "nb201" else "darts"
    return None


def with_space(env_id: str, env_kwargs: Mapping[str, Any] | None = None) -> str:
    """An id with its cell space for messages: ``NAT-CIFAR10-v0 (DARTS cells)``."""
    space = cell_space(env_id, env_kwargs)
    return f"{env_id} ({SPACE_NAMES[space]})" if space else env_id


def checked_arguments(factory: F) -> F:
    """An env factory (a registered entry point) that answers an argument it does not take with a
    ``TypeError`` naming its id, the arguments it accepts and the ids that do take the argument."""
    parameters = inspect.signature(factory).parameters

    @functools.wraps(factory)
    def make(*args: Any, **kwargs: Any) -> Any:
        unexpected = sorted(set(kwargs) - set(parameters))
        if unexpected:
            raise TypeError(_unexpected_message(factory, kwargs, unexpected))
        return factory(*args, **kwargs)

    return make  # type: ignore[return-value]


def _unexpected_message(factory: Callable[..., Any], kwargs: dict[str, Any], unexpected: list[str]) -> str:
    entry = f"{factory.__module__}:{factory.__name__}"
    nat_specs = [spec for spec in registry.values() if str(spec.entry_point).startswith("nat_env.")]
    own = [
        spec
        for spec in nat_specs
        if spec.entry_point == entry and all(kwargs.get(k) == v for k, v in spec.kwargs.items())
    ]
    fixed = {key for spec in own for key in spec.kwargs}  # set by the id itself
    accepted = sorted(set(inspect.signature(factory).parameters) - fixed)
    names = ", ".join(map(repr, unexpected))
    message = (
        f"{' / '.join(spec.id for spec in own) or factory.__name__} takes no argument {names}; "
        f"it accepts: {', '.join(accepted)}"
    )
    elsewhere = sorted(spec.id for spec in nat_specs if spec not in own and _takes(spec, unexpected))
    if elsewhere:
        message += f" ({names} is an argument of {', '.join(elsewhere)})"
    return message


def _takes(spec: EnvSpec, names: list[str]) -> bool:
    creator = load_env_creator(str(spec.entry_point))
    return set(names) <= set(inspect.signature(creator).parameters)


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
