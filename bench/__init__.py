"""Benchmarks. ``python -m bench`` runs them all; ``python -m bench NAME ...`` runs some.

Each module ``bench/<name>.py`` has a ``main() -> None`` that prints its figures (rates,
ratios, percentiles) in a few readable lines. Record the figures in docs/benchmarks.md.
"""
