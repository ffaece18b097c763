"""The reference center, a large Baku hall (``server/centers/baku1.json``): the demo, the
simulator's defaults, the tests and the benchmarks use it.

It is package data, so ``novbe demo`` works from an installed wheel as well as from a
checkout; nothing outside the package is read.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

NAME = "baku1.json"


def reference_center() -> Path:
    """The reference center's JSON file."""
    return center_file(NAME)


def center_file(name: str) -> Path:
    """A center description shipped in ``server/centers`` (``baku1.json``, ``sumqayit.json``)."""
    path = Path(str(resources.files("server") / "centers" / name))
    if not path.is_file():  # only a broken installation gets here
        raise FileNotFoundError(f"the center description {path} is missing: reinstall novbe")
    return path
