"""Shared data for the center configuration tests."""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from server.center import ConfigError, format_center_data, load_center
from server.reference import example_center, reference_center

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = example_center()
REFERENCE = reference_center()


@pytest.fixture(scope="session")
def reference_data() -> dict[str, Any]:
    if not REFERENCE.exists():
        pytest.skip("reference center description not available")
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session")
def _example_raw() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def example_raw(_example_raw: dict[str, Any]) -> dict[str, Any]:
    """The example center as raw TOML data, a fresh copy to break."""
    return copy.deepcopy(_example_raw)


@pytest.fixture
def refuse(tmp_path: Path) -> Callable[[dict[str, Any]], list[str]]:
    """Write raw data as center.toml, load it, and return the error lines (the load must fail)."""

    def run(data: dict[str, Any]) -> list[str]:
        path = tmp_path / "center.toml"
        path.write_text(format_center_data(data), encoding="utf-8")
        with pytest.raises(ConfigError) as info:
            load_center(path)
        lines = str(info.value).splitlines()
        problems = info.value.problems
        assert len(lines) == len(problems)
        for line, problem in zip(lines, problems, strict=True):
            assert line == f"{path}: {problem}"
            assert problem.line is not None, f"no line for {problem}"
        return [f"{p.path}: {p.message}" for p in problems]

    return run
