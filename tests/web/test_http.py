"""The citizens' pages over plain HTTP and their live websocket, against a real hall server
and a real ``novbe web``: the token, the friendly refusals, the limits, the JSON."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from novbe.process import WebProcess
from novbe.screenshots.phone import Hall, page_path
from server.center import load_center
from server.center.provision import DEMO_PUBLIC_URL, init_center
from server.security import ticket_token
from server.web.replica import Replica
from tests.server.harness import TIMEOUT, Home, ServerProcess, WsClient, run_novbe
from wire.events import DayClosed, DayOpened, TicketIssued


def until(ws: object, text: str) -> dict[str, object]:
    """The first frame of a page's websocket whose HTML holds ``text``."""
    while True:
        frame: dict[str, object] = json.loads(ws.recv(TIMEOUT))  # type: ignore[attr-defined]
        if text in str(frame["html"]):
            return frame


def get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:
            return answer.status, dict(answer.headers), answer.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def test_the_ticket_carries_its_page_and_the_page_shows_it(hall: Hall, web: WebProcess, home: Home) -> None:
    kiosk = hall.kiosk()
    first, second = hall.issue(kiosk), hall.issue(kiosk, lang="ru")
    token = first["url"].rsplit("/", 1)[1]
    assert first["url"] == f"{DEMO_PUBLIC_URL}/t/{token}"
    assert re.fullmatch(r"[a-z2-7]{26}", token), "130 bits of HMAC, base32"
    assert token == ticket_token(load_center(home.path / "center.toml").public.secret, first["id"])  # type: ignore[union-attr]
    assert first["id"] not in first["url"]
    assert second["url"] != first["url"]
    status, headers, body = get(web.url + page_path(second["url"]))
    assert status == 200
    assert second["number"] in body
    assert "Перед вами: 1 чел." in body, "the ticket's own language, one ahead"
    assert len(body.encode()) < 50_000, "the page and all it loads"
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp
    assert "'unsafe-inline'" not in csp
    assert "Set-Cookie" not in headers
    assert headers["Referrer-Policy"] == "no-referrer"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", body), "nothing from anywhere else"
    # Typed from the paper: groups, capitals.
    grouped = "-".join(token[i : i + 4] for i in range(0, 26, 4)).upper()
    assert get(f"{web.url}/t/{grouped}")[0] == 200


def test_unknown_or_bad_addresses_get_a_friendly_page(hall: Hall, web: WebProcess) -> None:
    hall.issue(hall.kiosk())
    for path in (
        "/t/aaaabbbbccccddddeeeeffffgg",
        "/t/short",
        "/t/" + "a" * 400,
        "/t/%00%ff",
        "/t/../../etc/passwd",
        "/tickets",
        "/t/aaaabbbbccccddddeeeeffffgg/live",
    ):
        status, headers, body = get(web.url + path)
        assert status == 404, path
        assert "Traceback" not in body
        assert "This ticket was not found" in body
        assert "Bu bilet tapılmadı" in body
        assert "Content-Security-Policy" in headers


def test_a_flood_from_one_address_is_limited(home: Home, server: ServerProcess) -> None:
    # A slow refill, so that how fast this machine answers doesn't matter.
    limits = ["--burst", "20", "--per-second", "0.1"]
    web = WebProcess(home.path, server_url=server.url, extra_args=limits, timeout=3 * TIMEOUT)
    web.start().wait_ready()  # /health is not counted
    try:
        statuses = [get(f"{web.url}/api/queues")[0] for _ in range(60)]
        assert statuses[:20] == [200] * 20, "the burst goes through"
        assert statuses.count(429) >= 35, "then the address waits"
        status, headers, body = get(f"{web.url}/?lang=en")
        assert status == 429
        assert "Too many requests" in body
        assert headers["Retry-After"] == "5"
        assert get(f"{web.url}/health")[0] == 200, "the health check is not limited"
    finally:
        web.stop()


def test_a_page_token_opens_no_device_websocket(hall: Hall, server: ServerProcess, web: WebProcess) -> None:
    ticket = hall.issue(hall.kiosk())
    token = ticket["url"].rsplit("/", 1)[1]
    for role, device in (("web", "1"), ("kiosk", "kiosk-1"), ("display", "lobby")):
        client = WsClient(server.url)
        answer = client.hello(role=role, device=device, token=token)
        assert answer["code"] == "auth_failed", role
    # The page's own websocket tells its ticket and listens to nothing.
    live = web.url.replace("http://", "ws://") + page_path(ticket["url"]) + "/live?lang=en"
    with connect(live, open_timeout=TIMEOUT) as ws:
        first = json.loads(ws.recv(TIMEOUT))
        assert first["state"] == "waiting"
        assert ticket["number"] in first["html"]
        ws.send(json.dumps({"type": "hello", "role": "supervisor", "login": "supervisor", "password": "x"}))
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(TIMEOUT)  # the page's news would come first: there is none
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1008


def test_the_live_page_hears_its_call(hall: Hall, web: WebProcess) -> None:
    kiosk = hall.kiosk()
    tickets = [hall.issue(kiosk) for _ in range(4)]
    mine = tickets[-1]
    live = web.url.replace("http://", "ws://") + page_path(mine["url"]) + "/live"
    with connect(live, open_timeout=TIMEOUT) as ws:
        assert "Sizdən əvvəl: 3 nəfər" in json.loads(ws.recv(TIMEOUT))["html"]
        counter = hall.counter(12)
        hall.ask(counter, "call_next")
        until(ws, "Sizdən əvvəl: 2 nəfər")  # one fewer ahead
        hall.ask(hall.counter(13), "call_ticket", ticket=mine["id"])
        called = until(ws, "13 saylı masaya yaxınlaşın")
        assert called["state"] == "called"
        assert "1-ci mərtəbə" in str(called["html"]), "and where the counter is"


def test_the_hall_in_public(hall: Hall, web: WebProcess) -> None:
    kiosk = hall.kiosk()
    for _ in range(3):
        hall.issue(kiosk, "EDL-POA")
    status, headers, body = get(f"{web.url}/api/queues")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["Access-Control-Allow-Origin"] == "*"
    data = json.loads(body)
    assert data["center"] == "BAKU1"
    assert data["open"] is True
    assert data["hours"] == {
        "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "open": "00:00",
        "close": "23:59",
    }
    services = {s["code"]: s for a in data["agencies"] for s in a["services"]}
    assert len(services) == 30
    assert services["EDL-POA"]["waiting"] == 3
    assert set(services["EDL-POA"]) == {"code", "name", "open", "reason", "waiting", "open_counters", "wait"}
    status, _, page = get(f"{web.url}/?lang=ru")
    assert status == 200
    assert "Очереди: Центр ASAN xidmət № 1 г. Баку" in page
    assert "Нотариальная доверенность" in page or "EDL" not in page
    assert "/t/" not in page, "nothing lists tickets"


def test_tokens_stop_working_when_the_next_day_opens(home: Home) -> None:
    center = load_center(home.path / "center.toml")
    replica = Replica(center)
    day1 = datetime(2026, 11, 30, 9, tzinfo=UTC) + timedelta(hours=-4)
    replica.apply(1, DayOpened(day=day1.date(), at=day1))
    issued = TicketIssued(ticket="20261130-A001", number="A001", service="DIN-ID", agency="DIN", at=day1)
    replica.apply(2, issued)
    token = ticket_token(center.public.secret, issued.ticket)  # type: ignore[union-attr]
    assert replica.ticket_of(token) == issued.ticket
    replica.apply(3, DayClosed(at=day1 + timedelta(hours=10), unserved=(issued.ticket,)))
    assert replica.page(issued.ticket, day1).state == "closed", "the evening after: the day's end"
    day2 = day1 + timedelta(days=1)
    replica.apply(4, DayOpened(day=day2.date(), at=day2))
    assert replica.ticket_of(token) is None


def test_novbe_web_refuses_a_center_without_public_pages(tmp_path: object) -> None:
    from pathlib import Path

    home = Path(str(tmp_path)) / "plain"
    init_center(home, reference=None)
    done = run_novbe("web", "--dir", str(home))
    assert done.returncode == 2
    assert "has no [public] section" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_pages_wait_for_the_hall(home: Home, tmp_path: object) -> None:
    """Before it has the day from the hall server, ``novbe web`` says so, kindly."""
    web = WebProcess(home.path, server_url="ws://127.0.0.1:9", timeout=3 * TIMEOUT).start()
    try:
        time.sleep(0.2)
        status, _, body = get(f"{web.url}/t/aaaabbbbccccddddeeeeffffgg")
        assert status == 503
        assert "The service is starting" in body
    finally:
        web.stop()


def rated(home: Home) -> list[dict[str, object]]:
    """The ``VisitRated`` events of the log."""
    from server.store import EventStore

    with EventStore(home.db_url) as store:
        return [json.loads(payload) for _, _, payload in store.payloads(types=("VisitRated",))]


def test_the_page_rates_its_visit_without_script(hall: Hall, web: WebProcess, home: Home) -> None:
    kiosk = hall.kiosk()
    mine, waiting = hall.issue(kiosk, lang="en"), hall.issue(kiosk, lang="en")
    page = web.url + page_path(mine["url"])
    token = page.rsplit("/", 1)[1]
    assert 'name="score"' not in get(page)[2], "no rating before the visit"
    counter = hall.counter(3)
    for step in ("call_ticket", "start", "finish"):
        hall.ask(counter, step, **({"ticket": mine["id"]} if step == "call_ticket" else {}))
    status, _, body = get(page)
    assert status == 200
    assert "How satisfied are you with the service?" in body
    assert f'action="{token}/rate"' in body
    assert body.count('name="score"') == 5

    # A face below the best asks what could have been better; nothing is recorded yet.
    status, _, body = get(f"{page}/rate?score=2&lang=en")
    assert status == 200
    assert "What could we have done better?" in body
    assert 'name="reason" value="rude"' in body
    assert rated(home) == []
    # Send: back to the ticket's page, which thanks and asks no more.
    status, _, body = get(f"{page}/rate?lang=en&score=2&send=1&reason=rude&reason=rude")
    assert status == 200
    assert "Thank you!" in body
    assert 'name="score"' not in body
    (event,) = rated(home)
    assert (event["ticket"], event["score"], event["reasons"], event["source"]) == (
        mine["id"],
        2,
        ["rude"],
        "phone",
    )
    # The same address again (a reload, a second tap): still one rating.
    assert "Thank you!" in get(f"{page}/rate?lang=en&score=5")[2]
    assert len(rated(home)) == 1

    # A token rates only its own ticket: a ticket named in the query, another center's token,
    # a ticket not served yet: nothing is recorded.
    waiting_page = web.url + page_path(waiting["url"])
    status, _, body = get(f"{waiting_page}/rate?score=5&ticket={mine['id']}")
    assert (status, 'name="score"' in body) == (200, False)
    other = ticket_token("another center's secret", mine["id"])
    assert get(f"{web.url}/t/{other}/rate?score=5")[0] == 404
    for bad in ("score=0", "score=9", "score=x", "score=3&send=1&reason=nope", ""):
        assert get(f"{waiting_page}/rate?{bad}")[0] == 200, bad
    assert len(rated(home)) == 1
