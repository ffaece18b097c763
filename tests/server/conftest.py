from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.server.harness import Home, ServerProcess, make_home


@pytest.fixture
def home(tmp_path: Path) -> Home:
    return make_home(tmp_path)


@pytest.fixture
def server(home: Home) -> Iterator[ServerProcess]:
    proc = ServerProcess(home).start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        proc.stop()
