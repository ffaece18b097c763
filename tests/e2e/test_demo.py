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


@pytest.mark.xdist_group("demo")  # one demo at a time: the citizens' pages take port 8080
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
    assert {
        "kiosk.png",
        "display.png",
        "counter-1.png",
        "counter-2.png",
        "rating-1.png",
        "supervisor-hall.png",
    } <= shots
    assert "rated at counter 1's terminal" in summary
    # The last ticket's QR code opened its page on the demo's citizens' pages (unless
    # something else on this machine holds their port: then the demo says so and goes on).
    if "citizens' pages at" in summary:
        page = (out / "ticket-page.html").read_text(encoding="utf-8")
        assert "<html" in page.lower()
    else:
        assert "the citizens' pages did not start on port 8080" in summary, summary
    for name in shots:
        with Image.open(out / "screenshots" / name) as image:
            assert image.width >= 800
            low, high = image.convert("L").getextrema()
            assert high - low > 100, f"{name} is blank"
    tickets = sorted((out / "tickets").glob("*.png"))
    assert tickets, "no ticket was printed"
    printed = int(summary.split("tickets printed")[0].split(",")[-1])
    assert printed == len(tickets)
    # The desk followed the hall by its events: it counted what the counters served.
    served = int(summary.split(" served at counters")[0].split(",")[-1])
    assert f"the supervisor's desk counted {served} served" in summary


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


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
    except OSError:
        return f"{pid} (gone)"


@pytest.mark.xdist_group("demo")  # one demo at a time: the citizens' pages take port 8080
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
    # The server, the citizens' pages, a kiosk, two counters, a display, counter 1's rating
    # terminal and the supervisor's desk (the pages only if their port 8080 was free).
    web = any("citizens' pages at http://127.0.0.1:8080" in line for line in lines)
    commands = [_command(pid) for pid in children]
    assert len(children) == (8 if web else 7), (commands, lines)
    time.sleep(3)
    assert all(Path(f"/proc/{pid}").exists() for pid in children)
    demo.send_signal(signal.SIGINT)
    rest, _ = finish(demo, timeout=60)  # not communicate(): it misses what readline() buffered
    assert demo.returncode == 0
    assert "stopped every process it started" in rest
    for pid in children:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()
