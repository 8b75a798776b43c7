"""Speed of learning on the exact env beside a yardstick, on one thread and on torch's default threads.

Records ``nat train``'s default learner (REINFORCE + GCN on ``NAT-NB201-CIFAR10-v0``) in episodes per
second, SB3's PPO + MLP on ``CartPole-v1`` in steps per second (the yardstick every RL user knows), the
GCN policy's forward time at several batch sizes, and a cold and a warm ``reset`` + ``step`` of both envs,
all on one thread pinned to one core. Beside them the learner also runs in two fresh, unpinned processes,
one on one torch thread and one on torch's default (one per core), which is what ``nat train --threads``
chooses between: their ratio is why ``nat train`` defaults to one thread on the table envs.
On a shared, noisy CPU the learner, the yardstick and the env passes run back to back in each of several
rounds; every ratio is taken within a round and the file reports each round and the medians.
A cold pass is the first one of a fresh interpreter (a spawned process) over random inputs; the warm pass
repeats it in the same process. Both envs come from ``gym.make`` with Gymnasium's default wrappers.

Run:

    python -m benchmarks.learner_speed [--table PATH] [--out learner_speed/learner_speed.json]
    python -m benchmarks.learner_speed --smoke     # tiny budgets, checks the pipeline (writes *_smoke.json)
"""

from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass, replace
from typing import Any

import gymnasium as gym
import numpy as np
import torch as th
from stable_baselines3 import PPO
from stable_baselines3.common.base_class import BaseAlgorithm

import nat_env  # noqa: F401 - registers the env ids
from agents.zoo import make_learner
from benchmarks.common import report
from benchmarks.common.args import TableArgs
from nat_cli.train import TrainArgs
from nat_env.flags import parse_dataclass

ENV_ID = TrainArgs.env_id
"""The env of ``nat train``'s defaults."""
YARDSTICK_ID = "CartPole-v1"


@dataclass
class Args(TableArgs):
    """Configuration of the learner-speed benchmark."""

    out: str = "learner_speed/learner_speed.json"
    """Result file (relative to ``benchmarks/results`` unless absolute)."""
    episodes: int = TrainArgs.total_timesteps
    """Episodes (env steps) of ``nat train``'s default learner timed (its default budget)."""
    cartpole_steps: int = 8192
    """Env steps of PPO + MLP on CartPole-v1 timed."""
    cartpole_n_steps: int = 2048
    """PPO's rollout length on CartPole-v1 (SB3's default)."""
    batch_sizes: tuple[int, ...] = (1, 64, 1024)
    """Observation batches of the policy forward timing."""
    forward_calls: int = 200
    """Forward calls timed per batch size (fewer for large batches, at least 3)."""
    env_steps: int = 2000
    """Episodes (``reset`` + ``step``, random inputs and actions) in each cold and warm pass."""
    rounds: int = 5
    """Rounds of learner, yardstick and env passes; figures and ratios are medians over rounds."""
    thread_episodes: int = 4000
    """Episodes of the learner timed on one thread and on torch's default threads, in each round."""
    seed: int = 0
    """Seed of models, inputs and actions."""
    smoke: bool = False
    """Tiny budgets: checks the pipeline only; writes ``*_smoke.json``."""


def one_thread() -> bool:
    """Torch on one thread and the process on one core; whether pinning was possible."""
    th.set_num_threads(1)
    if not hasattr(os, "sched_setaffinity"):
        return False
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    return True


def set_threads(threads: int, cores: set[int]) -> None:
    """A fresh process on ``cores`` with ``threads`` torch threads."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, cores)
    th.set_num_threads(threads)


def learner_on_threads(args: Args, threads: int, cores: set[int]) -> dict[str, Any]:
    """:func:`learner_episodes_per_second` for ``thread_episodes`` in a fresh process on ``threads``."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1, initializer=set_threads, initargs=(threads, cores)) as pool:
        result: dict[str, Any] = pool.apply(
            learner_threads_run, (replace(args, episodes=args.thread_episodes),)
        )
    return result


def learner_threads_run(args: Args) -> dict[str, Any]:
    """The learner's speed and the torch threads it ran on."""
    return {**learner_episodes_per_second(args), "torch_threads": th.get_num_threads()}


def default_learner(args: Args, env: gym.Env[Any, Any]) -> BaseAlgorithm:
    """``nat train``'s default learner (its spec, on the CPU), untrained."""
    model = make_learner(replace(TrainArgs(seed=args.seed).learner, device="cpu"), env)
    assert isinstance(model, BaseAlgorithm)
    return model


def learner_episodes_per_second(args: Args) -> dict[str, Any]:
    """``nat train``'s default learner trained for ``episodes`` env steps."""
    spec = TrainArgs(seed=args.seed).learner
    model = default_learner(args, gym.make(ENV_ID, table_path=args.table))
    start = time.perf_counter()
    model.learn(total_timesteps=args.episodes)
    seconds = time.perf_counter() - start
    return {
        "learner": spec.name,
        "episodes": args.episodes,
        "seconds": seconds,
        "per_second": args.episodes / seconds,
    }


def cartpole_steps_per_second(args: Args) -> dict[str, Any]:
    """SB3's PPO + MLP on CartPole-v1 (SB3's defaults but the rollout length) for ``cartpole_steps``."""
    model = PPO(
        "MlpPolicy", gym.make(YARDSTICK_ID), n_steps=args.cartpole_n_steps, seed=args.seed, device="cpu"
    )
    start = time.perf_counter()
    model.learn(total_timesteps=args.cartpole_steps)
    seconds = time.perf_counter() - start
    steps = model.num_timesteps
    return {"learner": "ppo-mlp", "steps": steps, "seconds": seconds, "per_second": steps / seconds}


def policy_forward_ms(args: Args) -> dict[str, float]:
    """Milliseconds per forward of the default learner's policy (actions, values, log-probabilities)."""
    env = gym.make(ENV_ID, table_path=args.table)
    model = default_learner(args, env)
    timings = {}
    for batch in args.batch_sizes:
        observations = [env.reset(seed=args.seed + i)[0] for i in range(batch)]
        stacked = {key: np.stack([o[key] for o in observations]) for key in observations[0]}
        tensors, _ = model.policy.obs_to_tensor(stacked)
        calls = max(3, args.forward_calls * 64 // max(batch, 64))
        with th.no_grad():
            model.policy(tensors)  # first call: allocations
            start = time.perf_counter()
            for _ in range(calls):
                model.policy(tensors)
        timings[str(batch)] = 1e3 * (time.perf_counter() - start) / calls
    return timings


def env_passes(env_id: str, table: str | None, episodes: int, seed: int) -> dict[str, float]:
    """Microseconds per ``reset`` + ``step``: the first pass (cold) and a repeat of it (warm); ``gym.make``'s ms."""
    start = time.perf_counter()
    env = gym.make(env_id, table_path=table) if env_id == ENV_ID else gym.make(env_id)
    make_ms = 1e3 * (time.perf_counter() - start)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    actions = [env.action_space.sample() for _ in range(episodes)]

    def run() -> float:
        start = time.perf_counter()
        for action in actions:
            env.reset()
            env.step(action)
        return 1e6 * (time.perf_counter() - start) / episodes

    cold = run()
    env.reset(seed=seed)
    return {"cold": cold, "warm": run(), "make_ms": make_ms}


def fresh_env_passes(env_id: str, args: Args) -> dict[str, float]:
    """:func:`env_passes` in a fresh interpreter, so nothing is cached before the cold pass."""
    with multiprocessing.get_context("spawn").Pool(1, initializer=one_thread) as pool:
        result: dict[str, float] = pool.apply(env_passes, (env_id, args.table, args.env_steps, args.seed))
    return result


def one_round(args: Args, cores: set[int], default_threads: int) -> dict[str, Any]:
    """The learner and its yardstick, then a cold and warm pass of each env, then the learner on one
    thread and on torch's default threads (unpinned, on ``cores``), back to back."""
    learner = learner_episodes_per_second(args)
    cartpole = cartpole_steps_per_second(args)
    nat, yardstick = fresh_env_passes(ENV_ID, args), fresh_env_passes(YARDSTICK_ID, args)
    one, default = learner_on_threads(args, 1, cores), learner_on_threads(args, default_threads, cores)
    return {
        "learner": learner,
        "cartpole_ppo_mlp": cartpole,
        "env_step_us": {ENV_ID: nat, YARDSTICK_ID: yardstick},
        "threads": {"one": one, "default": default},
        "ratios": {
            "learner_episodes_vs_cartpole_steps": learner["per_second"] / cartpole["per_second"],
            "cold_step_vs_cartpole": nat["cold"] / yardstick["cold"],
            "warm_step_vs_cartpole": nat["warm"] / yardstick["warm"],
            "one_thread_vs_default_threads": one["per_second"] / default["per_second"],
        },
    }


def median_of(rounds: list[dict[str, Any]], *path: str) -> float:
    """The median over rounds of one figure, addressed by its keys."""
    values = []
    for measured in rounds:
        for key in path:
            measured = measured[key]
        values.append(float(measured))  # type: ignore[arg-type]
    return float(np.median(values))


def run(args: Args) -> dict[str, Any]:
    """Every measurement of the module docstring: ``rounds`` rounds of learner, yardstick and env passes
    side by side (each ratio is taken within a round, then the median over rounds), and the policy
    forward timing once."""
    cores = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else set()
    default_threads = th.get_num_threads()  # torch's own choice for this process, before pinning
    pinned = one_thread()
    rounds = [one_round(args, cores, default_threads) for _ in range(args.rounds)]
    forward = policy_forward_ms(args)
    learner = {**rounds[0]["learner"], "per_second": median_of(rounds, "learner", "per_second")}
    cartpole = {
        **rounds[0]["cartpole_ppo_mlp"],
        "per_second": median_of(rounds, "cartpole_ppo_mlp", "per_second"),
    }
    steps = {
        env_id: {key: median_of(rounds, "env_step_us", env_id, key) for key in passes}
        for env_id, passes in rounds[0]["env_step_us"].items()
    }
    return {
        "threads": th.get_num_threads(),
        "pinned_to_one_core": pinned,
        "thread_comparison": {
            "cores": len(cores),
            "default_torch_threads": default_threads,
            "omp_num_threads": os.environ.get("OMP_NUM_THREADS"),
            "episodes": args.thread_episodes,
            "one_thread_per_second": median_of(rounds, "threads", "one", "per_second"),
            "default_threads_per_second": median_of(rounds, "threads", "default", "per_second"),
        },
        "rounds": rounds,
        "learner": learner,
        "cartpole_ppo_mlp": cartpole,
        "policy_forward_ms": forward,
        "env_step_us": steps,
        "ratios": {key: median_of(rounds, "ratios", key) for key in rounds[0]["ratios"]},
    }


def parse(argv: list[str] | None = None) -> Args:
    """Command-line flags, one per field of :class:`Args` (tuples comma-separated)."""
    args = parse_dataclass(Args, argv, __doc__)
    if args.smoke:
        args.episodes, args.cartpole_steps, args.cartpole_n_steps = 64, 128, 64
        args.forward_calls, args.env_steps, args.rounds, args.thread_episodes = 3, 100, 1, 64
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    results = run(args)
    learner, cartpole, ratios = results["learner"], results["cartpole_ppo_mlp"], results["ratios"]
    print(f"{learner['learner']} on {ENV_ID}: {learner['per_second']:,.0f} episodes/s")
    print(f"ppo-mlp on {YARDSTICK_ID}: {cartpole['per_second']:,.0f} steps/s")
    forward = ", ".join(f"batch {b}: {ms:.2f} ms" for b, ms in results["policy_forward_ms"].items())
    print(f"policy forward: {forward}")
    for env_id, passes in results["env_step_us"].items():
        print(
            f"{env_id} reset + step: cold {passes['cold']:.1f} us, warm {passes['warm']:.1f} us "
            f"(gym.make {passes['make_ms']:.0f} ms)"
        )
    threads = results["thread_comparison"]
    print(
        f"{learner['learner']} unpinned on {threads['cores']} core(s): one thread "
        f"{threads['one_thread_per_second']:,.0f} episodes/s, torch's default "
        f"({threads['default_torch_threads']} threads) {threads['default_threads_per_second']:,.0f} episodes/s"
    )
    print(", ".join(f"{key} {value:.2f}" for key, value in ratios.items()))
    path = report.output_path(args.out, ".json", "_smoke" if args.smoke else "")
    print(f"wrote {report.write(path, args, results)}")


if __name__ == "__main__":
    main()
