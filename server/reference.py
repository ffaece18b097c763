"""The centers shipped with novbe, in ``server/centers/``: the reference center, a large Baku
hall (``baku1.json``: the demo, the simulator's defaults, the tests and the benchmarks use
it), a model regional center whose counters mix agencies (``sumqayit.json``: the wait
predictions are measured on it), and the example center (``example.toml``: a small annotated hall, the one
docs/configuration.md shows and ``novbe init`` starts from without ``--from``).

They are package data, so ``novbe demo`` and ``novbe init`` work from an installed wheel as
well as from a checkout; nothing outside the package is read.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

NAME = "baku1.json"
EXAMPLE = "example.toml"


def _shipped(name: str, what: str) -> Path:
    path = Path(str(resources.files("server") / "centers" / name))
    if not path.is_file():  # only a broken installation gets here
        raise FileNotFoundError(f"the {what} {path} is missing: reinstall novbe")
    return path


def reference_center() -> Path:
    """The reference center's JSON file."""
    return _shipped(NAME, "reference center")


def center_file(name: str) -> Path:
    """A center description shipped in ``server/centers`` (``baku1.json``, ``sumqayit.json``)."""
    return _shipped(name, "center description")


def example_center() -> Path:
    """The example center's TOML file (examples/center-example.toml in a checkout links to it)."""
    return _shipped(EXAMPLE, "example center")
