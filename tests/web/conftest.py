"""The citizens' pages: a real hall server, a real ``novbe web`` beside it, a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from novbe.process import WebProcess
from novbe.screenshots.phone import Hall, browser_missing, phone_browser
from tests.e2e.conftest import kiosk  # noqa: F401 - the real kiosk app, as a fixture here too
from tests.server.harness import TIMEOUT, Home, ServerProcess


@pytest.fixture
def web(home: Home, server: ServerProcess) -> Iterator[WebProcess]:
    """``novbe web`` on a free loopback port, following the test's server."""
    proc = WebProcess(home.path, server_url=server.url, timeout=3 * TIMEOUT).start().wait_ready()
    yield proc
    if proc.running:
        proc.stop()


@pytest.fixture
def hall(home: Home, server: ServerProcess) -> Iterator[Hall]:
    """Plain websocket kiosks, counters and a supervisor of the test's server."""
    clients = Hall(server, home.path)
    yield clients
    clients.close()


def _browser(javascript: bool) -> Iterator[Any]:
    missing = browser_missing()
    if missing:
        pytest.skip(missing)
    with phone_browser(javascript=javascript) as driver:
        yield driver


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless chromium at a phone's size."""
    yield from _browser(True)


@pytest.fixture
def browser_no_js() -> Iterator[Any]:
    """The same, with JavaScript off."""
    yield from _browser(False)
