"""``novbe demo``: the whole reference hall on this machine.

With a screen: the server, one kiosk, two counters, the rating terminal of the first and
one hall display as real windows, each its own process, the kiosk printing to the virtual
printer (every ticket saved as a PNG). Closing any window, or Ctrl+C, stops every process
the demo started.

``--headless --minutes N``: the same hall without a screen. Simulated citizens tap the
kiosk, operators call and serve at the two counters, citizens rate their visits at the first
counter's terminal, the display follows; at the end the demo writes screenshots of every app
and the printed tickets to ``--out`` and prints a summary.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wire import cli
from wire.cli import UsageError
from wire.device import DeviceConfigError, dump_device, load_device, server_url_for

from .process import ServerProcess

KIOSK, COUNTERS, DISPLAY = "kiosk-1", (1, 2), "lobby"
RATED = COUNTERS[0]
"""The counter whose rating terminal the demo shows."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class DemoHall:
    """The demo's center folder and the device files of the apps it starts."""

    home: Path
    url: str
    devices: dict[str, Path] = field(default_factory=dict)

    @property
    def tickets(self) -> Path:
        return self.home / "tickets"


def prepare(home: Path, port: int) -> DemoHall:
    """Create the reference center in ``home`` (once) and device files pointing at ``port``.

    Raises:
        UsageError: ``home`` is a file, or a center without the demo's device files.
    """
    from server.center.provision import init_center, issue_token
    from server.reference import reference_center
    from server.store import EventStore

    if home.exists() and not home.is_dir():
        raise UsageError(f"{home} is a file, not a folder", "give --dir a folder for the demo's center")
    if not (home / "center.toml").exists():
        init_center(home, reference=reference_center(), demo=True, always_open=True)
        store = EventStore(f"sqlite:///{(home / 'novbe.db').resolve()}")
        store.migrate()
        store.close()
    url = server_url_for("127.0.0.1", port)
    hall = DemoHall(home, url)
    hall.tickets.mkdir(parents=True, exist_ok=True)
    out = home / "demo-devices"
    out.mkdir(exist_ok=True)
    wanted = {
        "kiosk": home / "devices" / f"kiosk-{KIOSK}.toml",
        "display": home / "devices" / f"display-{DISPLAY}.toml",
        **{f"counter-{n}": home / "devices" / f"counter-{n}.toml" for n in COUNTERS},
    }
    for name, source in wanted.items():
        try:
            config = load_device(source)
        except DeviceConfigError as exc:
            raise UsageError(
                f"{home} is not the demo's center ({exc})",
                "give --dir a new folder, or remove this one to make the demo's center again",
            ) from None
        update: dict[str, Any] = {"server_url": url, "fullscreen": False}
        if config.role == "kiosk":
            update["printer"] = f"virtual://{hall.tickets.resolve()}"
        target = out / f"{name}.toml"
        target.write_text(dump_device(config.model_copy(update=update)), encoding="utf-8")
        target.chmod(0o600)
        hall.devices[name] = target
    terminal = home / "devices" / f"rating-{RATED}.toml"
    if not terminal.exists():
        # A demo center made before counters had rating terminals: this one gets its token.
        issue_token(home, "rating", str(RATED))
    config = load_device(terminal)
    target = out / "rating.toml"
    target.write_text(
        dump_device(config.model_copy(update={"server_url": url, "fullscreen": False})), encoding="utf-8"
    )
    target.chmod(0o600)
    hall.devices["rating"] = target
    return hall


def start_server(hall: DemoHall, port: int) -> ServerProcess:
    try:
        server = ServerProcess(hall.home, port=port).start()
    except RuntimeError as exc:
        raise SystemExit(f"novbe demo: {exc}") from None
    print(server.banner, flush=True)
    return server


def _stop(procs: list[subprocess.Popen[str]]) -> None:
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def run_windows(hall: DemoHall, port: int) -> int:
    """Every app in its own window; the demo ends when any of them is closed."""
    server = start_server(hall, port)
    assert server.proc is not None
    procs = [server.proc]
    # Tiled for a 1920x1080 screen or larger: the kiosk on the left, the display beside it,
    # the two counters over its lower part, where the newest call stays in sight (each is 1280x800).
    apps = [
        [
            "kiosk",
            "--device",
            str(hall.devices["kiosk"]),
            "--windowed",
            "--size",
            "540x960",
            "--position",
            "0,0",
        ],
        [
            "display",
            "--device",
            str(hall.devices["display"]),
            "--windowed",
            "--size",
            "1280x720",
            "--position",
            "560,0",
        ],
        *[
            [
                "counter",
                "--device",
                str(hall.devices[f"counter-{n}"]),
                "--windowed",
                "--position",
                f"{560 + 60 * i},{300 + 60 * i}",
            ]
            for i, n in enumerate(COUNTERS)
        ],
    ]
    # The citizen's rating terminal beside counter 1, a 7" screen's size, in the corner.
    apps.append(
        [
            "rating",
            "--device",
            str(hall.devices["rating"]),
            "--windowed",
            "--size",
            "800x480",
            "--position",
            "1100,560",
        ]
    )
    for app in apps:
        if app[0] in ("counter", "rating"):
            time.sleep(2.0)  # opened last, the operators' and the citizen's windows come up on top
        procs.append(subprocess.Popen([sys.executable, "-m", "novbe", *app], text=True))
    print(f"novbe demo: {len(apps)} windows; operators log in as op1 / op2 with password novbe-demo.")
    print(f"novbe demo: when counter {RATED} finishes a visit, its rating terminal asks for a rating.")
    print(
        f"novbe demo: printed tickets are saved in {hall.tickets}. Close any window or press Ctrl+C to stop."
    )
    stopping = False

    def stop(signum: int, frame: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    seen = set(hall.tickets.glob("*.png"))
    try:
        while not stopping and all(p.poll() is None for p in procs):
            time.sleep(0.5)
            for png in sorted(set(hall.tickets.glob("*.png")) - seen):
                seen.add(png)
                print(f"novbe demo: ticket printed: {png}", flush=True)
    finally:
        _stop(procs)
    print("novbe demo: stopped every process it started.")
    return 0


# --- headless -----------------------------------------------------------------------------


def run_headless(hall: DemoHall, port: int, minutes: float, out: Path, seed: int = 7) -> int:
    """The hall without a screen: simulated citizens and operators, real apps offscreen."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSize, QTimer
    from PySide6.QtWidgets import QApplication

    from counter.app import CounterApp
    from counter.viewmodel import Action
    from display.app import DisplayApp
    from kiosk.app import KioskApp
    from kiosk.viewmodel import PrintState
    from rating.app import RatingApp
    from rating.viewmodel import REASONS, Screen as RatingScreen

    rng = random.Random(seed)
    server = start_server(hall, port)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    kiosk = KioskApp(load_device(hall.devices["kiosk"]), size=QSize(1080, 1920))
    counters = [CounterApp(load_device(hall.devices[f"counter-{n}"]), app) for n in COUNTERS]
    display = DisplayApp(load_device(hall.devices["display"]), multimedia=False)
    display.window.resize(1920, 1080)
    terminal = RatingApp(load_device(hall.devices["rating"]), size=QSize(800, 480))
    kiosk.start(fullscreen=False)
    for desk in counters:
        desk.window.show()
        desk.start()
    display.start()
    display.window.show()
    terminal.window.show()
    terminal.start()
    rated = 0
    issued: set[str] = set()
    """The tickets the kiosk was given (a tap on a service may get none, e.g. a refusal)."""
    services = ["DIN-ID", "DIN-PASS", "DIN-DRV", "DIN-CRIM"]
    langs = ["az", "az", "az", "ru", "en"]
    busy_until: dict[int, float] = {}
    shots = out / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    ends = started + minutes * 60
    last_tap = 0.0

    def citizen(now: float) -> None:
        """One tap per step, on whatever screen the kiosk shows, as a person would."""
        nonlocal last_tap
        model = kiosk.model
        if now - last_tap < 0.6:
            return
        screen = str(model.screen)
        if screen == "start" and model.can_issue and now - last_tap > 3.0:
            model.choose_language(rng.choice(langs))
        elif screen == "agencies":
            model.choose_agency("DIN")
        elif screen == "services":
            kiosk.window.grab().save(str(shots / "kiosk-services.png"))
            model.choose_service(rng.choice(services))
        elif screen == "ticket":
            kiosk.window.grab().save(str(shots / "kiosk-ticket.png"))
            model.dismiss_ticket()
        else:
            return
        last_tap = now

    shown_at = 0.0

    def rater(now: float) -> None:
        """The citizen just served at counter 1 rates the visit, mostly well."""
        nonlocal shown_at, rated
        model = terminal.model
        if model.screen is RatingScreen.IDLE:
            shown_at = 0.0
            return
        if not shown_at:
            shown_at = now
        if now - shown_at < 1.5:
            return  # reading the question
        shown_at = now
        if model.screen is RatingScreen.FACES:
            terminal.window.grab().save(str(shots / "rating-faces.png"))
            model.rate(rng.choice([5, 5, 5, 4, 4, 3, 2]))
            rated += 1
        elif model.screen is RatingScreen.REASONS:
            model.toggle_reason(rng.choice(REASONS))
            terminal.window.grab().save(str(shots / "rating-reasons.png"))
            model.send()

    def operator(now: float, desk: CounterApp) -> None:
        vm = desk.model
        number = desk.config.counter or 0
        if not vm.logged_in:
            if vm.can(Action.LOGIN):
                vm.login(f"op{number}", "novbe-demo")
            return
        if now < busy_until.get(number, 0.0):
            return
        if vm.can(Action.FINISH):
            vm.finish()
            busy_until[number] = now + 1.0
        elif vm.can(Action.START):
            desk.window.grab().save(str(shots / f"counter-{number}-called.png"))
            vm.start()
            busy_until[number] = now + rng.uniform(6.0, 14.0)
        elif vm.can(Action.CALL_NEXT) and vm.waiting_total > 0:
            vm.call_next()
            busy_until[number] = now + 2.0

    def step() -> None:
        now = time.monotonic()
        if now < ends:
            citizen(now)
        for desk in counters:
            operator(now, desk)
        rater(now)
        if kiosk.model.ticket is not None:
            issued.add(kiosk.model.ticket.id)
        # A citizen who tapped just before the end gets their ticket printed before the
        # summary counts them (within reason: a stuck printer doesn't hold the demo).
        busy = kiosk.model.pending is not None or kiosk.model.print_state is PrintState.PRINTING
        if now >= ends and (not busy or now >= ends + 15.0):
            finish()

    def finish() -> None:
        timer.stop()
        kiosk.window.grab().save(str(shots / "kiosk.png"))
        for desk in counters:
            desk.window.grab().save(str(shots / f"counter-{desk.config.counter}.png"))
        display.window.grab().save(str(shots / "display.png"))
        terminal.window.grab().save(str(shots / f"rating-{RATED}.png"))
        app.quit()

    timer = QTimer()
    timer.timeout.connect(step)
    timer.start(250)
    try:
        app.exec()
    finally:
        kiosk.stop()
        for desk in counters:
            desk.stop()
        display.stop()
        terminal.stop()
        server.stop()
    tickets = out / "tickets"
    tickets.mkdir(exist_ok=True)
    printed = sorted(hall.tickets.glob("*.png"))
    for png in printed:
        shutil.copy2(png, tickets / png.name)
    served = sum(desk.model.figures.served for desk in counters)
    desks = ", ".join(str(n) for n in COUNTERS)
    print(
        f"novbe demo: {minutes:g} min: {len(issued)} citizens took a ticket, "
        f"{len(printed)} tickets printed, {served} served at counters {desks}, "
        f"{rated} rated at counter {RATED}'s terminal"
    )
    print(f"novbe demo: screenshots in {shots}, printed tickets in {tickets}")
    return 0


@cli.command("novbe demo")
def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="novbe demo", description="The whole reference hall on this machine."
    )
    parser.add_argument("--dir", type=Path, default=Path("var/demo"), help="the demo center's folder")
    parser.add_argument("--port", type=cli.port, default=0, help="server port (default: a free one)")
    parser.add_argument("--headless", action="store_true", help="no screen: simulated citizens and operators")
    parser.add_argument("--minutes", type=float, default=2.0, help="how long the headless demo runs")
    parser.add_argument("--out", type=Path, default=Path("demo-out"), help="where the headless demo writes")
    args = parser.parse_args(argv)
    if args.port:
        from server.run import check_can_listen

        check_can_listen("127.0.0.1", args.port)
    port = args.port or free_port()
    try:
        hall = prepare(args.dir, port)
    except OSError as exc:
        raise UsageError(
            f"cannot write the demo's center in {args.dir}: {exc.strerror or exc}",
            "give --dir a folder you may write in",
        ) from None
    if args.headless:
        return run_headless(hall, port, args.minutes, args.out)
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print("novbe demo: no screen here; running the headless demo (novbe demo --headless).", flush=True)
        return run_headless(hall, port, args.minutes, args.out)
    with contextlib.suppress(KeyboardInterrupt):
        return run_windows(hall, port)
    return 0
