"""nat-gym: Neural Architecture Transformer (NAT, NAT++) as a Gymnasium benchmark.

Importing the package registers its environment ids with Gymnasium.
"""

from __future__ import annotations

from nat_env import genotypes, ops, transitions
from nat_env.encoding import Encoder, GraphEncoder
from nat_env.envs import TransformEnv
from nat_env.evaluation import Evaluation, Evaluator, FunctionEvaluator
from nat_env.genotypes import Genotype
from nat_env.sampler import GenotypeSampler

__version__ = "0.1.0"

__all__ = [
    "Encoder",
    "Evaluation",
    "Evaluator",
    "FunctionEvaluator",
    "Genotype",
    "GenotypeSampler",
    "GraphEncoder",
    "TransformEnv",
    "genotypes",
    "ops",
    "transitions",
]
