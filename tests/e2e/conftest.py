"""The real kiosk and hall display apps, offscreen, connected to the test's server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSize

from display.app import DisplayApp
from kiosk.app import KioskApp
from kiosk.viewmodel import Timings
from tests.e2e.helpers import FAST, WAIT
from tests.hardware.conftest import PtyPrinter
from tests.server.harness import Home, ServerProcess
from wire.device import DeviceConfig, load_device


@pytest.fixture
def kiosk(qtbot: Any, home: Home, server: ServerProcess, printer: PtyPrinter) -> Iterator[KioskApp]:
    config = load_device(home.path / "devices" / "kiosk-kiosk-1.toml").model_copy(
        update={
            "server_url": server.url,
            "fullscreen": False,
            "printer": f"serial://{printer.path}?baudrate=115200",
        }
    )
    app = KioskApp(
        config,
        size=QSize(1080, 1920),
        timings=Timings(tap_guard=0.05, ticket_tap_guard=0.3, offline_grace=0.3),
        client_options=FAST,
    )
    qtbot.addWidget(app.window)
    app.start(fullscreen=False)
    qtbot.waitUntil(lambda: app.model.can_issue, timeout=WAIT)
    yield app
    app.stop()


@pytest.fixture
def display(qtbot: Any, home: Home, server: ServerProcess, tmp_path: Path) -> Iterator[DisplayApp]:
    config: DeviceConfig = load_device(home.path / "devices" / "display-lobby.toml")
    app = DisplayApp(config, server_url=server.url, voice_dir=tmp_path / "voices")
    qtbot.addWidget(app.window)
    app.window.resize(1280, 720)
    app.window.show()
    app.start()
    qtbot.waitUntil(lambda: app.model.online, timeout=WAIT)
    yield app
    app.stop()
