"""Fixtures of the counter app's tests: a center's folder made once per session and
copied for each test, real server processes, and counter windows or view-models
connected to them."""

from __future__ import annotations

import os

# Before anything imports Qt: no screen here.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.harness import Home, ServerProcess, make_home


@pytest.fixture(scope="session")
def home_template(tmp_path_factory: pytest.TempPathFactory) -> Home:
    # Hashing the demo passwords of 82 operators takes seconds: do it once.
    return make_home(tmp_path_factory.mktemp("center"))


@pytest.fixture
def home(home_template: Home, tmp_path: Path) -> Home:
    path = tmp_path / "center"
    shutil.copytree(home_template.path, path, ignore=shutil.ignore_patterns("novbe.db*", "server-*.log"))
    return Home(path, f"sqlite:///{path / 'novbe.db'}")


@pytest.fixture
def server(home: Home) -> Iterator[ServerProcess]:
    proc = ServerProcess(home).start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        proc.stop()
