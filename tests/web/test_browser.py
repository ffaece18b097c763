"""The citizen's phone in a real browser: the real kiosk prints a ticket, the QR code read
out of the printed bytes opens its page in Debian's chromium at a phone's size, and the page
follows the ticket live; without JavaScript it still shows the state and refreshes itself."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from kiosk.app import KioskApp
from novbe.process import WebProcess
from novbe.screenshots.phone import Hall, page_path, shoot
from server.center.provision import DEMO_PUBLIC_URL
from server.web.pages import NO_JS_REFRESH_S
from tests.e2e.helpers import take_ticket
from tests.hardware.conftest import PtyPrinter
from tests.hardware.escpos_decode import decode
from tests.server.harness import TIMEOUT
from wire.links import short_link, split_link

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

SECOND = 1.0 * TIMEOUT / 10
"""A second, on this machine's time scale (``NOVBE_TEST_TIME_SCALE``)."""


def page_text(browser: Any) -> str:
    return str(browser.find_element(By.TAG_NAME, "body").text)


def shows(browser: Any, text: str, timeout: float) -> float:
    """Seconds until the page shows ``text`` (raises if it doesn't within ``timeout``)."""
    started = time.monotonic()
    # A page that is being replaced (the no-script refresh, a form sent) swaps its body
    # between two polls: the driver says the node is stale or no longer in the document.
    WebDriverWait(browser, timeout, poll_frequency=0.02, ignored_exceptions=(WebDriverException,)).until(
        lambda b: text in page_text(b)
    )
    return time.monotonic() - started


# Each ticket is called before the next is taken: three ahead of each (the other kiosk's).
CASES = [
    ("az", "Sizdən əvvəl: 3 nəfər", "2 saylı masaya yaxınlaşın", 2),
    ("ru", "Перед вами: 3 чел.", "Подойдите к окну 3", 3),
    ("en", "Ahead of you: 3", "Go to counter 4", 4),
]


def test_the_printed_qr_code_opens_the_live_page(
    qtbot: Any, kiosk: KioskApp, printer: PtyPrinter, hall: Hall, web: WebProcess, browser: Any
) -> None:
    ws_kiosk = hall.kiosk()
    for _ in range(3):
        hall.issue(ws_kiosk, "DIN-ID")
    took: list[float] = []
    for lang, waiting, called, counter in CASES:
        take_ticket(qtbot, kiosk, "DIN-ID", lang)
        printed = decode(printer.answerer.job_bytes())  # every ticket printed so far
        url = printed.qrcodes[-1].data
        assert url.startswith(f"{DEMO_PUBLIC_URL}/t/")
        texts = [line.text.strip() for line in printed.lines]
        site, token = split_link(url)
        assert texts[len(texts) - 1 - texts[::-1].index(site) + 1] == token, "the address, for typing"
        assert site + token == short_link(url)
        assert kiosk.model.ticket is not None
        assert short_link(url) in kiosk.window.ticket_qr_caption.text(), "and on the kiosk's screen"
        browser.get(web.url + page_path(url))  # the page in the ticket's own language
        assert waiting in page_text(browser)
        assert kiosk.model.ticket.number in page_text(browser)
        WebDriverWait(browser, TIMEOUT).until(
            lambda b: b.execute_script("return document.body.dataset.state")
        )
        time.sleep(0.3)  # the live connection opens
        hall.ask(hall.counter(counter), "call_ticket", ticket=kiosk.model.ticket.id)
        took.append(shows(browser, called, TIMEOUT))
        assert browser.find_element(By.TAG_NAME, "body").get_attribute("class") == "s-called"
    assert max(took) < SECOND, f"call -> page: {took}"


def test_without_javascript_the_page_shows_the_state_and_refreshes(
    hall: Hall, web: WebProcess, browser_no_js: Any
) -> None:
    kiosk = hall.kiosk()
    first, mine = hall.issue(kiosk, lang="en"), hall.issue(kiosk, lang="en")
    browser_no_js.get(web.url + page_path(mine["url"]))
    assert "Ahead of you: 1" in page_text(browser_no_js)
    assert not browser_no_js.find_element(By.ID, "snd").is_displayed(), "no script: no sound button"
    counter = hall.counter(5)
    hall.ask(counter, "call_ticket", ticket=first["id"])
    hall.ask(counter, "no_show")
    hall.ask(counter, "call_ticket", ticket=mine["id"])
    # The page reloads itself (a refresh inside <noscript>), and then shows the call.
    shows(browser_no_js, "Go to counter 5", NO_JS_REFRESH_S + TIMEOUT)


RATING_CASES = [
    ("ru", "Вы довольны обслуживанием?", "Что можно было сделать лучше?", "Спасибо!"),
    ("az", "Xidmətdən razı qaldınızmı?", "Nəyi daha yaxşı edə bilərdik?", "Təşəkkür edirik!"),
    ("en", "How satisfied are you with the service?", "What could we have done better?", "Thank you!"),
]


@pytest.mark.parametrize(("lang", "asked", "better", "thanks"), RATING_CASES)
def test_the_page_asks_for_the_rating_after_the_visit(
    hall: Hall, web: WebProcess, browser: Any, home: Any, lang: str, asked: str, better: str, thanks: str
) -> None:
    kiosk = hall.kiosk()
    mine, theirs = hall.issue(kiosk, lang=lang), hall.issue(kiosk, lang=lang)
    browser.get(web.url + page_path(mine["url"]))
    WebDriverWait(browser, TIMEOUT).until(lambda b: b.execute_script("return document.body.dataset.live"))
    counter = hall.counter(2)
    hall.ask(counter, "call_ticket", ticket=mine["id"])
    hall.ask(counter, "start")
    hall.ask(counter, "finish")
    shows(browser, asked, TIMEOUT)  # live, when the visit is done
    faces = browser.find_elements(By.CSS_SELECTOR, "button.f")
    assert [f.get_attribute("value") for f in faces] == ["1", "2", "3", "4", "5"]
    faces[1].click()
    shows(browser, better, TIMEOUT)
    rude = browser.find_element(By.CSS_SELECTOR, "input[value=rude]")
    # As a thumb scrolls it above the Send button, which stays at the bottom of the screen.
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", rude)
    rude.click()
    browser.find_element(By.CSS_SELECTOR, "button.send").click()
    shows(browser, thanks, TIMEOUT)
    assert not browser.find_elements(By.CSS_SELECTOR, "button.f"), "asked once"
    assert browser.current_url.endswith(page_path(mine["url"]) + f"?lang={lang}")
    # The next citizen rated at the counter's terminal: the page thanks and does not ask.
    for step in ("call_next", "start", "finish"):
        hall.ask(counter, step)
    terminal = hall.client(role="rating", device="2", token=hall._token("rating", "2"))
    hall.ask(terminal, "rate", ticket=theirs["id"], score=5)
    browser.get(web.url + page_path(theirs["url"]))
    shows(browser, thanks, TIMEOUT)
    assert not browser.find_elements(By.CSS_SELECTOR, "button.f")


def test_without_javascript_one_tap_on_the_best_face_rates(
    hall: Hall, web: WebProcess, browser_no_js: Any
) -> None:
    mine = hall.issue(hall.kiosk(), lang="en")
    counter = hall.counter(4)
    hall.ask(counter, "call_ticket", ticket=mine["id"])
    hall.ask(counter, "start")
    hall.ask(counter, "finish")
    browser_no_js.get(web.url + page_path(mine["url"]))
    browser_no_js.find_elements(By.CSS_SELECTOR, "button.f")[4].click()
    shows(browser_no_js, "Thank you!", TIMEOUT)


def test_phone_screenshots_of_every_state(tmp_path: Path) -> None:
    made = shoot(tmp_path, langs=("en",))
    names = {p.name for p in made}
    states = (
        "waiting",
        "called",
        "serving",
        "parked",
        "done",
        "no_show",
        "transferred",
        "cancelled",
        "rated",
    )
    for state in (*states, "rating"):
        assert f"phone-{state}-en.png" in names
    assert {"phone-hall-en.png", "phone-not-found.png", "phone-closed-en.png"} <= names
    for path in made:
        assert path.stat().st_size > 5_000, path  # a page, not a blank
