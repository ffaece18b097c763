"""`novbe demo`: the headless hall writes its screenshots and tickets; the windowed hall
stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.proc import finish

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def _env() -> dict[str, str]:
    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def test_headless_demo_serves_citizens_and_writes_screenshots(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "novbe",
            "demo",
            "--headless",
            "--minutes",
            "0.5",
            "--dir",
            str(tmp_path / "hall"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=240,
        env=_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    summary = done.stdout
    assert "citizens took a ticket" in summary
    shots = {p.name for p in (out / "screenshots").glob("*.png")}
    assert {"kiosk.png", "display.png", "counter-1.png", "counter-2.png", "rating-1.png"} <= shots
    assert "rated at counter 1's terminal" in summary
    for name in shots:
        with Image.open(out / "screenshots" / name) as image:
            assert image.width >= 800
            low, high = image.convert("L").getextrema()
            assert high - low > 100, f"{name} is blank"
    tickets = sorted((out / "tickets").glob("*.png"))
    assert tickets, "no ticket was printed"
    printed = int(summary.split("tickets printed")[0].split(",")[-1])
    assert printed == len(tickets)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def test_windowed_demo_stops_every_process_it_started(tmp_path: Path) -> None:
    env = {**_env(), "DISPLAY": ":99"}  # Qt draws offscreen; the demo believes it has a screen
    demo = subprocess.Popen(
        [sys.executable, "-m", "novbe", "demo", "--dir", str(tmp_path / "hall")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert demo.stdout is not None
    deadline = time.monotonic() + 120
    lines = []
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        lines.append(line)
        if "windows" in line or not line:
            break
    children = _children(demo.pid)
    # The server, a kiosk, two counters, a display and counter 1's rating terminal.
    assert len(children) == 6, (children, lines)
    time.sleep(3)
    assert all(Path(f"/proc/{pid}").exists() for pid in children)
    demo.send_signal(signal.SIGINT)
    rest, _ = finish(demo, timeout=60)  # not communicate(): it misses what readline() buffered
    assert demo.returncode == 0
    assert "stopped every process it started" in rest
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
