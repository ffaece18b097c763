"""The soak's short version (``make soak`` runs it for hours, docs/benchmarks.md): a hall
at its peak for 40 s against a real server; nothing acknowledged is lost or issued twice,
and the per-minute figures and the plot are written."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.soak import _soak


@pytest.mark.slow
def test_a_short_soak_loses_nothing_and_plots_its_figures(tmp_path: Path) -> None:
    verdict = asyncio.run(_soak(40, 2.0, tmp_path / "soak.png"))
    assert verdict["acknowledged"] > 20
    assert (verdict["lost"], verdict["issued_twice"]) == (0, 0)
    assert (tmp_path / "soak.png").stat().st_size > 10_000
    assert len((tmp_path / "soak.csv").read_text().splitlines()) == 2
