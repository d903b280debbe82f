"""Benchmarks: `python -m benchmarks [NAME ...]` (or `make bench`) runs them and prints figures.

Every benchmark measures a baseline in the same run and prints the ratio against it, so the
figures mean something on whatever machine runs them.
"""
