"""Benchmarks: scripts that write result files (with machine and configuration) under ``benchmarks/results``."""
