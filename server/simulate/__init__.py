"""Simulated days in a hall, on the real queue engine: ``novbe simulate``.

See docs/simulation.md.
"""
