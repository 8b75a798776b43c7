"""What the benchmark scripts share: result files, shared flags, statistics, rank correlations and fidelity
metrics.

Scripts import from here and from the packages, never from one another.
"""
