"""The real display window, offscreen, against a real `novbe server` process."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from display.announce import Call, call_words
from display.app import DisplayApp
from display.viewmodel import DisplaySettings, RowState
from tests.display.fakes import welcome
from tests.proc import finish
from tests.server.harness import Home, ServerProcess, counter, kiosk, supervisor
from wire.device import DeviceConfig, load_device
from wire.events import TicketCalled
from wire.messages import dumps, event_frame

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="session")
def voices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The espeak-ng packs, built once (in the first display's worker thread) for all tests."""
    return tmp_path_factory.mktemp("voices")


def open_display(
    qtbot,
    home: Home,
    server: ServerProcess,
    voices: Path,
    config: DeviceConfig | None = None,
    **settings: object,
) -> DisplayApp:
    config = config or load_device(home.path / "devices" / "display-lobby.toml")
    app = DisplayApp(
        config,
        server_url=server.url,
        settings=DisplaySettings(**settings),  # type: ignore[arg-type]
        voice_dir=voices,
    )
    qtbot.addWidget(app.window)
    app.window.resize(1280, 720)
    app.window.show()
    app.start()
    qtbot.waitUntil(lambda: app.model.online, timeout=10_000)
    return app


def texts(app: DisplayApp) -> list[str]:
    return [r.text for r in app.model.rows]


def read_wav(path: Path) -> tuple[float, float]:
    """(seconds, RMS level 0-1) of a WAV file the display wrote."""
    with wave.open(str(path), "rb") as w:
        frames = w.readframes(w.getnframes())
        seconds = w.getnframes() / w.getframerate()
    samples = np.frombuffer(frames, "<i2").astype(np.float64) / 32768
    return seconds, float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def test_a_call_at_a_counter_appears_on_the_screen_and_is_announced(qtbot, home, server, voices) -> None:
    app = open_display(qtbot, home, server, voices)
    try:
        names = {"az": "Bakı 1 nömrəli ASAN xidmət mərkəzi", "ru": "Центр ASAN xidmət № 1 г. Баку"}
        assert app.model.center_name == names[app.model.lang]
        # Nobody called yet: the calls' place shows the queues.
        assert app.window.idle.isVisible()
        assert not app.window.calls.isVisible()
        painted: list[list[str]] = []
        app.window.calls.painted.connect(lambda: painted.append(texts(app)))
        # What the hall hears, measured as the display rendered it: (words per language, seconds, level).
        heard: list[tuple[dict[str, list[str]], float, float]] = []
        app.announcer.rendered.connect(lambda a, path: heard.append((a.words, *read_wav(path))))
        qtbot.waitUntil(lambda: bool(app.announcer.composer.packs), timeout=60_000)
        desk = counter(server, 1)
        k = kiosk(server)
        assert k.request("issue", service="DIN-ID", lang="ru")["type"] == "reply"
        for _ in range(2):
            assert k.request("issue", service="DIN-ID")["type"] == "reply"
        assert desk.request("call_next")["result"]["ticket"]["number"] == "A001"

        qtbot.waitUntil(lambda: ["A001 → 1"] in painted, timeout=5_000)
        assert app.window.calls.isVisible()
        assert not app.window.idle.isVisible()
        row = app.model.rows[0]
        assert app.model.blinking(row)
        assert app.announcer.queue.stats["pushed"] == 1
        qtbot.waitUntil(lambda: app.announcer.queue.stats["played"] == 1, timeout=5_000)
        # The citizen took the ticket in Russian: Azerbaijani, then Russian.
        words, seconds, level = heard[0]
        assert words == {"az": call_words("A001", 1, "az"), "ru": call_words("A001", 1, "ru")}
        assert 4.0 < seconds < 8.0
        assert level > 0.05, "the WAV is not silent"
        # The waiting panel counts the two tickets still waiting for the ministry (prefix A).
        qtbot.waitUntil(
            lambda: any(w.prefix == "A" and w.waiting == 2 for w in app.model.waiting), timeout=5_000
        )

        desk.request("recall")
        qtbot.waitUntil(lambda: app.announcer.queue.stats["pushed"] == 2, timeout=5_000)
        assert app.model.rows[0].recalls == 1

        desk.request("start")
        desk.request("finish")
        qtbot.waitUntil(lambda: app.model.rows[0].state is RowState.LEAVING, timeout=5_000)
        # The next citizen took theirs in Azerbaijani: Azerbaijani alone, a shorter call.
        assert desk.request("call_next")["result"]["ticket"]["number"] == "A002"
        a002 = {"az": call_words("A002", 1, "az")}
        # (The recall of A001 is said only if it was its turn before the citizen came.)
        qtbot.waitUntil(lambda: heard[-1][0] == a002, timeout=15_000)
        words, seconds, level = heard[-1]
        assert 1.5 < seconds < heard[0][1] - 1.5
        assert level > 0.05

        boss = supervisor(server)
        assert (
            boss.request("set_message", text={"az": "Xoş gəlmisiniz", "ru": "Добро пожаловать"})["type"]
            == "reply"
        )
        qtbot.waitUntil(lambda: app.window.ticker.isVisible(), timeout=5_000)
        assert app.model.message == "Xoş gəlmisiniz     •     Добро пожаловать"

        # The display told the server how its sound is (here: no sound card, so "offline").
        qtbot.waitUntil(
            lambda: "display:lobby/audio" in supervisor(server).seen[0]["snapshot"]["devices"], timeout=5_000
        )
    finally:
        app.stop()


def test_offline_then_catch_up_without_replaying_stale_calls(qtbot, home, server, voices) -> None:
    app = open_display(qtbot, home, server, voices, fresh_for=timedelta(seconds=1))
    try:
        desks = [counter(server, n) for n in (1, 2, 3)]
        k = kiosk(server)
        for _ in range(4):
            k.request("issue", service="DIN-ID")
        desks[0].request("call_next")
        qtbot.waitUntil(lambda: texts(app) == ["A001 → 1"], timeout=5_000)

        app.session.stop()
        qtbot.waitUntil(lambda: not app.model.online, timeout=5_000)
        # Plain to the whole hall: a red band under the header; the calls stay, in grey.
        assert app.window.banner.isVisible()
        assert app.window.banner.height() > app.window.height() * 0.1
        assert texts(app) == ["A001 → 1"], "the last state stays on the screen"
        image = app.window.calls.grab().toImage()
        row = app.window.calls.row_geometry()
        y = round(row[0] + row[1] / 2)
        colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 3)}
        assert "#ffc629" not in colours, "no yellow: the counter numbers are grey while offline"
        desks[1].request("call_next")
        desks[2].request("call_next")
        time.sleep(1.5)  # those calls are now older than fresh_for
        pushed = app.announcer.queue.stats["pushed"]

        app.session.start()
        qtbot.waitUntil(lambda: len(app.model.rows) == 3, timeout=10_000)
        assert app.model.online
        assert not app.window.banner.isVisible()
        assert texts(app) == ["A003 → 3", "A002 → 2", "A001 → 1"]
        assert app.announcer.queue.stats["pushed"] == pushed, "stale calls are shown, not announced"
        assert not any(app.model.blinking(r) for r in app.model.rows[:2])

        desks[0].request("recall")
        qtbot.waitUntil(lambda: app.announcer.queue.stats["pushed"] == pushed + 1, timeout=5_000)
    finally:
        app.stop()


def test_the_idle_screen_shows_the_centers_pictures_and_leaves_a_broken_one_out(
    qtbot, home, server, voices, tmp_path
) -> None:
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    Image.new("RGB", (160, 90), (12, 93, 143)).save(pictures / "1-welcome.png")
    (pictures / "2-broken.jpg").write_bytes(b"not a picture")
    config = load_device(home.path / "devices" / "display-lobby.toml").model_copy(
        update={"idle_images": pictures}
    )
    app = open_display(qtbot, home, server, voices, config, page_for=timedelta(seconds=1))
    try:
        assert app.window.idle.isVisible()
        # The broken one is dropped when its turn comes, which on a fast machine is at once:
        # only the end state is certain.
        qtbot.waitUntil(lambda: [p.name for p in app.model.pictures] == ["1-welcome.png"], timeout=5_000)
        image = app.window.idle.grab().toImage()
        centre = image.pixelColor(image.width() // 2, image.height() // 2)
        assert (centre.red(), centre.green(), centre.blue()) == (12, 93, 143)
    finally:
        app.stop()


def test_server_restart_marks_offline_and_reconnects(qtbot, home, server, voices) -> None:
    app = open_display(qtbot, home, server, voices)
    try:
        server.stop()
        qtbot.waitUntil(lambda: not app.model.online, timeout=10_000)
        again = ServerProcess(home, port=server.port).start()
        try:
            qtbot.waitUntil(lambda: app.model.online, timeout=15_000)
            desk = counter(again, 2)
            kiosk(again).request("issue", service="DIN-ID")
            desk.request("call_next")
            qtbot.waitUntil(lambda: texts(app) == ["A001 → 2"], timeout=5_000)
        finally:
            again.stop()
    finally:
        app.stop()


def test_ages_are_measured_on_the_servers_clock(qtbot, home, voices) -> None:
    """A server whose clock is an hour ahead of the display's machine: the display's clock is the
    server's (its session's), so a call made a second ago on that clock is announced and one made
    ten minutes before is shown without a sound."""
    ahead = timedelta(hours=1)

    def hall(ws: ServerConnection) -> None:
        ws.recv()  # the hello
        now = datetime.now(UTC) + ahead
        ws.send(dumps(welcome(seq=1, server_time=now)))
        fresh = TicketCalled(ticket="t-A001", number="A001", service="DIN-ID", counter=1, at=now)
        stale = TicketCalled(
            ticket="t-A002", number="A002", service="DIN-ID", counter=2, at=now - timedelta(minutes=10)
        )
        ws.send(event_frame(2, fresh))
        ws.send(event_frame(3, stale))
        with contextlib.suppress(ConnectionClosed):
            for _ in ws:  # until the display leaves
                pass

    with serve(hall, "127.0.0.1", 0) as hub:
        threading.Thread(target=hub.serve_forever, daemon=True).start()
        config = load_device(home.path / "devices" / "display-lobby.toml")
        url = f"ws://127.0.0.1:{hub.socket.getsockname()[1]}"
        app = DisplayApp(config, server_url=url, multimedia=False, voice_dir=voices)
        heard: list[Call] = []
        app.model.announce.connect(lambda call, at: heard.append(call))
        qtbot.addWidget(app.window)
        app.start()
        try:
            qtbot.waitUntil(lambda: len(app.model.rows) == 2, timeout=10_000)
            assert heard == [Call("A001", 1)]
            assert [app.model.blinking(r) for r in app.model.rows] == [True, False]
            assert abs(app.model.server_now() - (datetime.now(UTC) + ahead)) < timedelta(seconds=5)
            assert app.model.local_now().utcoffset() == timedelta(hours=4)  # Baku
        finally:
            app.stop()
            hub.shutdown()


def test_screenshots(qapp, tmp_path) -> None:
    from display import screenshots

    assert screenshots.main([str(tmp_path)]) == 0
    sizes = {}
    for shot in screenshots.SHOTS:
        path = tmp_path / shot.name
        assert path.stat().st_size < 400_000, f"{shot.name} is {path.stat().st_size} bytes"
        sizes[shot.name] = Image.open(path).size
    assert sizes["display-1080p.png"] == (1920, 1080)
    assert sizes["display-4k.png"] == (1920, 1080)  # rendered at 3840x2160, saved at half size
    assert sizes["display-portrait.png"] == (1080, 1920)
    # Every new screen in each language.
    for name in ("display-calls", "display-offline", "display-idle", "display-pictures"):
        assert {f"{name}-{lang}.png" for lang in ("az", "ru", "en")} <= set(sizes)
    # The offline banner is red across the screen, under the header; online there is none.
    red, below_header = (0xB3, 0x26, 0x1E), (20, round(720 * 0.14))
    assert Image.open(tmp_path / "display-offline-az.png").convert("RGB").getpixel(below_header) == red
    assert Image.open(tmp_path / "display-calls-az.png").convert("RGB").getpixel(below_header) != red


def test_cli_runs_and_stops_on_sigterm(home, server, tmp_path) -> None:
    device = home.path / "devices" / "display-floor-1-1.toml"
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "novbe", "display"),
            *("--device", str(device), "--server", server.url, "--size", "640x360", "--silent"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and proc.poll() is None:
            # The display reports its (silent) audio once it is connected.
            fresh = supervisor(server).seen[0]["snapshot"]["devices"]
            if "display:floor-1-1/audio" in fresh:
                break
            time.sleep(0.3)
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert fresh["display:floor-1-1/audio"]["status"]["status"] == "offline"
    finally:
        proc.send_signal(signal.SIGTERM)
        # Reads both pipes while waiting: a display logging more than a pipe holds can exit.
        _, errors = finish(proc, timeout=10)
        assert proc.returncode == 0, errors


def test_cli_refuses_a_wrong_device_file(tmp_path, home, capsys) -> None:
    from display.__main__ import main

    assert main(["--device", str(tmp_path / "missing.toml")]) == 2
    assert main(["--device", str(home.path / "devices" / "kiosk-kiosk-1.toml")]) == 2
    lobby = (home.path / "devices" / "display-lobby.toml").read_text(encoding="utf-8")
    no_pictures = tmp_path / "display-lobby.toml"
    no_pictures.write_text(lobby + f'idle_images = "{tmp_path / "absent"}"\n', encoding="utf-8")
    assert main(["--device", str(no_pictures)]) == 2
    assert "idle_images" in capsys.readouterr().err


def test_many_qt_calls_do_not_destroy_none() -> None:
    """PySide6 6.12.0 on CPython 3.11 loses a reference to None per void Qt call and aborts the
    interpreter within 300,000 calls; pyproject.toml keeps PySide6 below 6.12. This guards the pin."""
    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import display.qt_display\n"
        "from PySide6.QtGui import QFont\n"
        "f = QFont()\n"
        "for _ in range(300_000): f.setPixelSize(20)\n"
        "print('alive')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "alive"
