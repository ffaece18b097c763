"""Pictures of the citizen's phone: ``python -m novbe.screenshots.phone OUT_DIR``.

A real hall server and ``novbe web`` on a fresh reference center, tickets walked through
every state a page shows by a plain websocket kiosk, counters and supervisor, and Debian's
``chromium`` (headless, driven by selenium and ``chromedriver``) at a phone's size opening
each ticket's page: ``phone-<state>-<lang>.png``, and ``phone-hall-<lang>.png``. The browser
tests use :func:`phone_browser` too.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from novbe.process import ServerProcess, WebProcess

PHONE = (360, 740)
"""A small phone's viewport in CSS pixels (drawn at twice that)."""

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_missing() -> str | None:
    """Why no browser can be driven here (Debian's ``chromium`` and ``chromium-driver``,
    selenium), or None."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if shutil.which(path) is None:
            return f"{path} is missing (Debian: apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is missing (pip install selenium)"
    return None


@contextmanager
def phone_browser(*, javascript: bool = True) -> Iterator[Any]:
    """Headless chromium at :data:`PHONE` size as a touch phone, JavaScript on or off."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--mute-audio"):
        options.add_argument(arg)
    width, height = PHONE
    options.add_experimental_option(
        "mobileEmulation",
        {
            "deviceMetrics": {"width": width, "height": height, "pixelRatio": 2.0, "touch": True},
            "userAgent": "Mozilla/5.0 (Linux; Android 9; phone) AppleWebKit/537.36 Mobile Safari/537.36",
        },
    )
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        if not javascript:
            driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        yield driver
    finally:
        driver.quit()


class Hall:
    """Plain websocket clients of a real hall server (docs/protocol.md)."""

    def __init__(self, server: ServerProcess, home: Path) -> None:
        self.server = server
        self.home = home
        self.open: list[ClientConnection] = []

    def _token(self, role: str, code: str) -> str:
        from wire.device import load_device

        return load_device(self.home / "devices" / f"{role}-{code}.toml").token

    def client(self, **hello: Any) -> ClientConnection:
        ws = connect(self.server.url, compression=None, max_size=None, open_timeout=10).__enter__()
        self.open.append(ws)
        ws.send(json.dumps({"type": "hello", **hello}))
        while json.loads(ws.recv(10))["type"] != "welcome":
            pass
        return ws

    def kiosk(self) -> ClientConnection:
        return self.client(role="kiosk", device="kiosk-1", token=self._token("kiosk", "kiosk-1"))

    def counter(self, number: int) -> ClientConnection:
        ws = self.client(role="counter", device=str(number), token=self._token("counter", str(number)))
        self.ask(ws, "login", login=f"op{number}", password="novbe-demo")
        return ws

    def supervisor(self) -> ClientConnection:
        return self.client(role="supervisor", login="supervisor", password="novbe-demo")

    @staticmethod
    def ask(ws: ClientConnection, kind: str, **fields: Any) -> dict[str, Any]:
        """Send a request; its ``reply`` (raises on an ``error``)."""
        rid = uuid.uuid4().hex[:12]
        ws.send(json.dumps({"type": kind, "id": rid, **fields}))
        while True:
            message: dict[str, Any] = json.loads(ws.recv(10))
            if message.get("id") == rid and message["type"] in ("reply", "error"):
                if message["type"] == "error":
                    raise RuntimeError(f"{kind}: {message}")
                return message

    def issue(self, kiosk: ClientConnection, service: str = "DIN-ID", lang: str = "az") -> dict[str, Any]:
        ticket: dict[str, Any] = self.ask(kiosk, "issue", service=service, lang=lang)["result"]["ticket"]
        return ticket

    def close(self) -> None:
        for ws in self.open:
            ws.close()


def page_path(url: str) -> str:
    """The path of a ticket's page address (``/t/TOKEN``), to open on the test's own port."""
    return "/t/" + url.rstrip("/").rsplit("/", 1)[1]


def walk_states(hall: Hall) -> dict[str, dict[str, Any]]:
    """One ticket in each state a page shows, by the hall's own requests: state -> ticket
    (``done`` asks for its rating, ``rated`` was rated at the counter's terminal)."""
    kiosk = hall.kiosk()
    t = {
        name: hall.issue(kiosk) for name in ("called", "serving", "done", "no_show", "parked", "transferred")
    }
    t["cancelled"] = hall.issue(kiosk, "DIN-PASS")
    for _ in range(3):
        hall.issue(kiosk, "DIN-PASS")
    t["waiting"] = hall.issue(kiosk, "DIN-PASS", "ru")  # three ahead
    c1, c2, c3, c4, c5, c6 = (hall.counter(n) for n in range(1, 7))
    hall.ask(c1, "call_ticket", ticket=t["called"]["id"])
    hall.ask(c2, "call_ticket", ticket=t["serving"]["id"])
    hall.ask(c2, "start")
    hall.ask(c3, "call_ticket", ticket=t["done"]["id"])
    hall.ask(c3, "start")
    hall.ask(c3, "finish")
    hall.ask(c4, "call_ticket", ticket=t["no_show"]["id"])
    hall.ask(c4, "no_show")
    hall.ask(c5, "call_ticket", ticket=t["parked"]["id"])
    hall.ask(c5, "park")
    hall.ask(c6, "call_ticket", ticket=t["transferred"]["id"])
    hall.ask(c6, "start")
    hall.counter(77)  # the bank's counter: a transfer goes to an open one only
    hall.ask(c6, "transfer", to_service="BANK-FEE", return_to_me=True)
    hall.ask(hall.supervisor(), "cancel", ticket=t["cancelled"]["id"])
    # The next citizen at counter 3 rates the visit at its terminal: that page thanks.
    t["rated"] = hall.issue(kiosk, lang="ru")
    hall.ask(c3, "call_ticket", ticket=t["rated"]["id"])
    hall.ask(c3, "start")
    hall.ask(c3, "finish")
    terminal = hall.client(role="rating", device="3", token=hall._token("rating", "3"))
    hall.ask(terminal, "rate", ticket=t["rated"]["id"], score=5)
    return t


def shoot(out: Path, langs: tuple[str, ...] = ("az", "ru", "en")) -> list[Path]:
    """Every state's page and the hall page in each of ``langs``, into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="novbe-phone-") as tmp:
        from server.center.provision import init_center
        from server.reference import reference_center

        home = Path(tmp) / "center"
        init_center(home, reference=reference_center(), demo=True, always_open=True)
        server = ServerProcess(home).start()
        web = WebProcess(home, server_url=server.url).start().wait_ready()
        hall = Hall(server, home)
        try:
            tickets = walk_states(hall)
            with phone_browser() as browser:
                for lang in langs:
                    for state, ticket in tickets.items():
                        browser.get(f"{web.url}{page_path(ticket['url'])}?lang={lang}")
                        made.append(out / f"phone-{state}-{lang}.png")
                        browser.save_screenshot(str(made[-1]))
                    # The rating's second step, after a tap on a face below the best.
                    browser.get(f"{web.url}{page_path(tickets['done']['url'])}/rate?score=2&lang={lang}")
                    made.append(out / f"phone-rating-{lang}.png")
                    browser.save_screenshot(str(made[-1]))
                    browser.get(f"{web.url}/?lang={lang}")
                    made.append(out / f"phone-hall-{lang}.png")
                    browser.save_screenshot(str(made[-1]))
                browser.get(f"{web.url}/t/aaaabbbbccccddddeeeeffffgg?lang=en")
                made.append(out / "phone-not-found.png")
                browser.save_screenshot(str(made[-1]))
                # The end of the day, last: every page says so.
                hall.ask(hall.supervisor(), "close_day")
                browser.get(f"{web.url}{page_path(tickets['waiting']['url'])}?lang=en")
                made.append(out / "phone-closed-en.png")
                browser.save_screenshot(str(made[-1]))
        finally:
            hall.close()
            web.stop()
            server.stop()
    return made


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m novbe.screenshots.phone", description=__doc__)
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    missing = browser_missing()
    if missing:
        sys.stderr.write(f"novbe.screenshots.phone: {missing}\n")
        return 2
    for path in shoot(args.out):
        sys.stdout.write(f"{path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
