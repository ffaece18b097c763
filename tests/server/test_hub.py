"""The hub over real sockets: a real `novbe server` process and plain websocket clients."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import typing
import urllib.request
from pathlib import Path

import pytest

from server.hub import health_change
from tests.server.harness import (
    DEMO_PASSWORD,
    Home,
    ServerProcess,
    WsClient,
    counter,
    display,
    kiosk,
    make_home,
    supervisor,
)
from wire import protocol as p


def test_health_answers_plain_http(server: ServerProcess) -> None:
    """GET /health on the websocket port answers JSON for monitoring."""
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health", timeout=5) as response:
        body = json.loads(response.read())
    assert response.status == 200
    assert body["status"] == "ok"
    assert body["center"] == "BAKU1"


def test_whole_visit_reaches_counter_and_display(server: ServerProcess) -> None:
    """Issue -> call next -> the display sees the call -> start -> finish."""
    hall = display(server, "lobby")
    desk = counter(server, 1)
    k = kiosk(server)
    issued = k.request("issue", service="DIN-ID", lang="az")
    assert issued["type"] == "reply", issued
    ticket = issued["result"]["ticket"]
    assert ticket["number"] == "A001"
    assert ticket["state"] == "waiting"
    wait = issued["result"]["ticket"]["wait"]
    assert isinstance(wait["high_min"], int)
    assert wait["high_min"] >= wait["low_min"] >= 0

    called = desk.request("call_next")
    assert called["result"]["ticket"]["number"] == "A001"
    assert called["result"]["ticket"]["state"] == "called"
    shown = hall.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketCalled")
    assert shown["event"]["number"] == "A001"
    assert shown["event"]["counter"] == 1

    assert desk.request("start")["result"]["ticket"]["state"] == "serving"
    finished = desk.request("finish")
    assert finished["result"]["ticket"]["state"] == "done"
    assert finished["result"]["counter"]["served"] == 1
    hall.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketFinished")


def test_bad_input_gets_error_and_connection_keeps_serving(server: ServerProcess) -> None:
    """Malformed, unknown, invalid, oversized and forbidden messages get error replies."""
    k = kiosk(server)
    k.send("{not json")
    assert k.recv()["code"] == "bad_json"
    k.send({"type": "fly", "id": "1"})
    reply = k.recv()
    assert (reply["code"], reply["id"]) == ("unknown_type", "1")
    k.send({"type": "issue", "id": "2", "service": "DIN-ID", "priority": "vip"})
    reply = k.recv()
    assert (reply["code"], reply["id"]) == ("invalid_message", "2")
    assert "priority" in reply["details"]["detail"]
    k.send({"type": "issue", "id": "3", "service": "DIN-ID", "appointment": "x" * 20000})
    assert k.recv()["code"] == "too_large"
    assert k.request("call_next", rid="4")["code"] == "forbidden"
    assert k.request("issue", service="NOPE")["code"] == "unknown_service"
    assert k.request("issue", service="DIN-ID")["type"] == "reply"


def test_request_before_hello_and_wrong_token(server: ServerProcess) -> None:
    """Nothing but hello before authentication; a wrong token is refused and closed."""
    client = WsClient(server.url)
    client.send({"type": "issue", "id": "1", "service": "DIN-ID"})
    assert client.recv()["code"] == "not_authenticated"
    refused = client.hello(role="kiosk", device="kiosk-1", token="wrong")
    assert refused["code"] == "auth_failed"
    with pytest.raises(Exception, match=r"4001|closed"):
        client.recv(2)


def test_error_messages_follow_client_language(server: ServerProcess) -> None:
    """The error text is in the language the client said hello in."""
    k = kiosk(server, lang="ru")
    reply = k.request("issue", service="NOPE")
    assert reply["message"] == "Такой услуги нет."


def test_transfer_where_no_counter_is_open_is_refused_with_the_reason(server: ServerProcess) -> None:
    """The bank's counters (77-79) are closed: a fee payer is not sent there to wait for good."""
    kiosk(server).request("issue", service="DIN-ID")
    desk = counter(server, 1, lang="ru")
    desk.request("call_next")
    refused = desk.request("transfer", to_service="BANK-FEE", return_to_me=True)
    assert (refused["type"], refused["code"]) == ("error", "no_open_counter")
    assert refused["message"].startswith("Сейчас нет открытого окна, которое его примет")
    assert refused["details"]["service"] == "BANK-FEE"
    assert "no counter serving BANK-FEE is open" in refused["details"]["detail"]
    named = desk.request("transfer", to_counter=78)
    assert (named["code"], named["details"]["counter"]) == ("no_open_counter", 78)
    assert desk.request("recall")["result"]["ticket"]["state"] == "called"  # still at counter 1
    counter(server, 77)
    moved = desk.request("transfer", to_service="BANK-FEE", return_to_me=True)
    assert moved["result"]["ticket"]["service"] == "BANK-FEE", moved


def test_repeated_request_takes_effect_once(server: ServerProcess) -> None:
    """A request sent again with the same id returns the first answer; one ticket."""
    k = kiosk(server)
    first = k.request("issue", rid="same-id", service="DIN-ID")
    k.close()
    again = kiosk(server).request("issue", rid="same-id", service="DIN-ID")
    assert again == first
    assert kiosk(server).request("issue", service="DIN-ID")["result"]["ticket"]["number"] == "A002"


def test_operator_login_errors(server: ServerProcess) -> None:
    """Wrong password, an operator not allowed here, a counter taken by someone else."""
    desk = counter(server, 3, login=False)
    assert desk.request("call_next")["code"] == "not_logged_in"
    assert desk.request("login", login="op3", password="nope")["code"] == "wrong_password"
    assert desk.request("login", login="op4", password=DEMO_PASSWORD)["code"] == "operator_not_allowed"
    assert desk.request("login", login="supervisor", password=DEMO_PASSWORD)["type"] == "reply"
    other = counter(server, 3, login=False)
    taken = other.request("login", login="op3", password=DEMO_PASSWORD)
    assert taken["code"] == "counter_taken"


def test_login_refusals_name_who_works_where(server: ServerProcess) -> None:
    """The engine refuses a counter taken and an operator working elsewhere; the counter
    app gets who and where in the details, and in the text in its language."""
    counter(server, 24)  # op24
    assert counter(server, 25, login=False).request("login", login="supervisor", password=DEMO_PASSWORD)["ok"]
    taken = counter(server, 24, login=False, lang="en").request(
        "login", login="supervisor", password=DEMO_PASSWORD
    )
    assert (taken["code"], taken["details"]["operator"], taken["details"]["counter"]) == (
        "counter_taken",
        "op24",
        24,
    )
    assert taken["message"] == "Another operator is already working at this counter: op24."
    elsewhere = counter(server, 26, login=False, lang="ru").request(
        "login", login="supervisor", password=DEMO_PASSWORD
    )
    assert (elsewhere["code"], elsewhere["details"]["counter"]) == ("operator_elsewhere", 25)
    assert elsewhere["message"] == "Этот оператор уже работает за окном 25."


def test_display_sees_only_its_zones(server: ServerProcess) -> None:
    """A floor display gets calls of its floor's counters only."""
    floor3 = display(server, "floor-3-1")
    desk = counter(server, 1)  # floor 1
    kiosk(server).request("issue", service="DIN-ID")
    desk.request("call_next")
    with pytest.raises(TimeoutError):
        floor3.recv_until(
            lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketCalled", timeout=1.0
        )


def test_twenty_counters_calling_at_once_never_share_a_ticket(server: ServerProcess) -> None:
    """20 counters call next at the same moment: 20 different tickets."""
    k = kiosk(server)
    for _ in range(20):
        assert k.request("issue", service="DIN-ID")["type"] == "reply"
    desks = [counter(server, n) for n in range(1, 19)] + [counter(server, n) for n in (19, 20)]
    results: dict[int, dict] = {}
    barrier = threading.Barrier(len(desks))

    def call(i: int, desk: WsClient) -> None:
        barrier.wait()
        results[i] = desk.request("call_next")

    threads = [threading.Thread(target=call, args=(i, d)) for i, d in enumerate(desks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    numbers = [r["result"]["ticket"]["number"] for r in results.values() if r["type"] == "reply"]
    refused = [r for r in results.values() if r["type"] == "error"]
    # Counters 19 and 20 serve other agencies' services: they find nothing.
    assert len(numbers) == len(set(numbers)) == 18
    assert {r["code"] for r in refused} == {"nothing_to_call"}


def test_reconnecting_display_misses_no_call(server: ServerProcess) -> None:
    """A display that drops and resumes from its last seq gets every call it missed."""
    hall = display(server, "lobby")
    k = kiosk(server)
    desks = [counter(server, n) for n in (1, 2, 3)]
    for _ in range(6):
        k.request("issue", service="DIN-ID")
    desks[0].request("call_next")
    first = hall.recv_until(lambda m: m.get("type") == "event" and m["event"]["type"] == "TicketCalled")
    last_seq = first["seq"]
    hall.close()
    for desk in desks[1:]:
        desk.request("call_next")
    desks[0].request("recall")
    again = WsClient(server.url)
    welcome = again.hello(
        role="display", device="lobby", token=server.home.token("display", "lobby"), resume_from=last_seq
    )
    assert welcome["resumed"] is True
    missed = [again.recv_until(lambda m: m.get("type") == "event") for _ in range(3)]
    kinds = [(m["event"]["type"], m["event"]["counter"]) for m in missed]
    assert kinds == [("TicketCalled", 2), ("TicketCalled", 3), ("TicketRecalled", 1)]
    assert [m["seq"] for m in missed] == sorted(m["seq"] for m in missed)


def test_supervisor_sees_device_failure(server: ServerProcess) -> None:
    """A kiosk's printer running out of paper reaches the supervisor as an alert."""
    boss = supervisor(server)
    k = kiosk(server, code="kiosk-2")
    assert (
        k.request("report_health", component="printer", status="paper_out", detail="no paper")["type"]
        == "reply"
    )
    alert = boss.recv_until(lambda m: m.get("type") == "alert")
    assert alert["device"] == "kiosk:kiosk-2/printer"
    assert alert["status"]["status"] == "paper_out"
    fresh = supervisor(server)
    snap = fresh.seen[0]["snapshot"]
    assert snap["devices"]["kiosk:kiosk-2/printer"]["status"]["status"] == "paper_out"


def test_supervisor_is_alerted_at_each_step_of_a_roll_ending(server: ServerProcess) -> None:
    """ok -> paper_low -> paper_out alerts twice; a new roll is reported as recovered."""
    boss = supervisor(server)
    k = kiosk(server, code="kiosk-2")
    for status in ("ok", "paper_low", "paper_low", "paper_out", "ok"):
        assert k.request("report_health", component="printer", status=status)["type"] == "reply"
    # A sync's welcome comes after everything sent before it on this connection.
    boss.send({"type": "sync", "id": "end"})
    boss.recv_until(lambda m: m.get("type") == "welcome" and m.get("id") == "end")
    reports = [m["status"]["status"] for m in boss.seen if m["type"] == "device_status"]
    assert reports == ["ok", "paper_low", "paper_low", "paper_out", "ok"]
    notices = [
        (m["type"], m["was"], m["status"]["status"]) for m in boss.seen if m["type"] in ("alert", "recovered")
    ]
    assert notices == [
        ("alert", "ok", "paper_low"),
        ("alert", "paper_low", "paper_out"),
        ("recovered", "paper_out", "ok"),
    ]


def test_supervisor_is_alerted_when_an_offline_printer_comes_back_without_paper(
    server: ServerProcess,
) -> None:
    """offline -> paper_out is another failure: a second alert, not silence."""
    boss = supervisor(server)
    k = kiosk(server, code="kiosk-2")
    k.request("report_health", component="printer", status="offline", detail="no answer")
    first = boss.recv_until(lambda m: m.get("type") == "alert")
    assert (first["was"], first["status"]["status"]) == ("ok", "offline")
    k.request("report_health", component="printer", status="paper_out", detail="no paper")
    second = boss.recv_until(lambda m: m.get("type") == "alert")
    assert (second["was"], second["status"]["status"]) == ("offline", "paper_out")


def test_health_changes_follow_the_severity_order() -> None:
    """Every change into a worse state alerts, every change into a better one recovers."""
    assert set(p.HEALTH_SEVERITY) == set(typing.get_args(p.HealthStatus))
    assert health_change("ok", "ok") is None
    assert health_change("paper_out", "paper_out") is None
    assert health_change("ok", "paper_low") == "alert"
    assert health_change("paper_low", "paper_out") == "alert"
    assert health_change("offline", "paper_out") == "alert"
    assert health_change("paper_out", "cover_open") == "alert"
    assert health_change("paper_out", "paper_low") == "recovered"
    assert health_change("offline", "ok") == "recovered"
    assert health_change("paper_low", "ok") == "recovered"
    assert health_change("jammed", "offline") == "alert"  # unknown old status: the worst
    assert health_change("jammed", "ok") == "recovered"


def test_sigterm_stops_cleanly(server: ServerProcess) -> None:
    """SIGTERM: the server finishes, closes the store and exits 0."""
    kiosk(server).request("issue", service="DIN-ID")
    assert server.stop() == 0
    assert '"msg": "stopped"' in server.logs()


def test_kill_during_burst_loses_no_answered_ticket(home: Home) -> None:
    """kill -9 in a burst of issues: after restart every answered ticket is there, in
    order, and the hash chain verifies."""
    proc = ServerProcess(home).start()
    answered: list[str] = []
    k = kiosk(proc)
    stop = threading.Event()

    def burst() -> None:
        try:
            while not stop.is_set():
                reply = k.request("issue", service="DIN-ID")
                if reply["type"] == "reply":
                    answered.append(reply["result"]["ticket"]["id"])
        except (OSError, TimeoutError, ConnectionError, ValueError):
            return
        except Exception:  # noqa: BLE001 - the server was killed under us: that's the test
            return

    thread = threading.Thread(target=burst)
    thread.start()
    while len(answered) < 150:
        threading.Event().wait(0.01)
    proc.kill()
    stop.set()
    thread.join(10)
    restarted = ServerProcess(home).start()
    boss = supervisor(restarted)
    tickets = [t["id"] for t in boss.seen[0]["snapshot"]["tickets"]]
    assert tickets[: len(answered)] == answered
    restarted.stop()
    audit = subprocess.run(
        [sys.executable, "-m", "novbe", "audit", "verify", "--dir", str(home.path), "--db", home.db_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert audit.returncode == 0, audit.stderr
    assert json.loads(audit.stdout)["ok"] is True


@pytest.mark.postgres
def test_server_runs_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """The same hall on PostgreSQL: issue, call, restart, state rebuilt from the log."""
    from tests import pg

    url = pg.create_database(pg_url)
    home = make_home(tmp_path, db_url=url)
    proc = ServerProcess(home).start()
    try:
        kiosk(proc).request("issue", service="DIN-ID")
        assert counter(proc, 1).request("call_next")["result"]["ticket"]["number"] == "A001"
        proc.stop()
        proc = ServerProcess(home).start()
        snap = supervisor(proc).seen[0]["snapshot"]
        assert snap["counters"]["1"]["current"]["number"] == "A001"
    finally:
        proc.stop()
        pg.drop_database(pg_url, url)


def test_server_speaks_tls_when_given_a_certificate(home: Home, tmp_path: Path) -> None:
    """With --cert/--key the server listens on wss:// and a client that trusts the
    certificate connects."""
    import ssl

    from websockets.sync.client import connect

    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    proc = ServerProcess(home, extra_args=["--cert", str(cert), "--key", str(key)]).start()
    try:
        assert proc.url.startswith("wss://")
        context = ssl.create_default_context(cafile=str(cert))
        with connect(proc.url, ssl=context, open_timeout=10) as ws:
            ws.send(
                json.dumps(
                    {
                        "type": "hello",
                        "role": "kiosk",
                        "device": "kiosk-1",
                        "token": home.token("kiosk", "kiosk-1"),
                    }
                )
            )
            assert json.loads(ws.recv(10))["type"] == "welcome"
    finally:
        proc.stop()


def test_audit_names_the_first_broken_link(home: Home) -> None:
    """Editing one event in the database is caught by `novbe audit verify`, which names it."""
    import sqlite3

    proc = ServerProcess(home).start()
    k = kiosk(proc)
    for _ in range(5):
        k.request("issue", service="DIN-ID")
    proc.stop()
    db = sqlite3.connect(home.path / "novbe.db")
    db.execute("update events set payload = replace(payload, 'A003', 'A009') where seq = 4")
    db.commit()
    db.close()
    audit = subprocess.run(
        [sys.executable, "-m", "novbe", "audit", "verify", "--dir", str(home.path), "--db", home.db_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert audit.returncode == 1
    report = json.loads(audit.stdout)
    assert report["first_bad_seq"] == 4
    assert "4" in audit.stderr


def test_start_up_replays_only_the_current_day(home: Home) -> None:
    """Yesterday's events stay in the log (and in the audit), but start-up replays from
    today's DayOpened: the state is today's, and a client from yesterday gets a snapshot."""
    from datetime import datetime, timedelta

    from server.store import Commit, EventStore
    from wire import events as ev

    store = EventStore(home.db_url)
    store.migrate()
    now = datetime.now().astimezone()
    yesterday = now - timedelta(days=1)
    old = [ev.DayOpened(day=yesterday.date(), at=yesterday)]
    old += [
        ev.TicketIssued(
            ticket=f"{yesterday:%Y%m%d}-A{n:03d}",
            number=f"A{n:03d}",
            service="DIN-ID",
            agency="DIN",
            at=yesterday,
        )
        for n in range(1, 201)
    ]
    old.append(ev.DayClosed(at=yesterday, unserved=tuple(e.ticket for e in old[1:])))
    store.append([Commit(events=old)])
    store.close()
    proc = ServerProcess(home).start()
    try:
        # The log's last day is yesterday's: that is what is replayed; then today opens.
        assert "202 events replayed" in proc.banner, proc.banner
        k = kiosk(proc)
        assert k.request("issue", service="DIN-ID")["result"]["ticket"]["number"] == "A001"
        boss = supervisor(proc)
        assert [t["number"] for t in boss.seen[0]["snapshot"]["tickets"]] == ["A001"]
    finally:
        proc.stop()
    proc = ServerProcess(home).start()
    try:
        assert "2 events replayed" in proc.banner, proc.banner  # today's DayOpened and A001
        stale = WsClient(proc.url)
        welcome = stale.hello(
            role="display", device="lobby", token=home.token("display", "lobby"), resume_from=5
        )
        assert welcome["resumed"] is False
        assert welcome["snapshot"] is not None
    finally:
        proc.stop()


def test_hall_message_survives_a_restart(home: Home) -> None:
    """The supervisor's scrolling line is still there after the server restarts."""
    proc = ServerProcess(home).start()
    text = {"az": "Xoş gəlmisiniz", "ru": "Добро пожаловать", "en": "Welcome"}
    try:
        assert supervisor(proc).request("set_message", text=text)["type"] == "reply"
    finally:
        proc.stop()
    proc = ServerProcess(home).start()
    try:
        assert display(proc).seen[0]["snapshot"]["message"] == text
        assert "hall" not in supervisor(proc).seen[0]["snapshot"]["devices"]
    finally:
        proc.stop()


def test_dead_connections_do_not_pile_up(home: Home) -> None:
    """A device that stops answering (its machine froze, its cable was pulled) is dropped
    after one unanswered ping, and /health no longer counts it."""
    import base64
    import os
    import socket
    import time

    proc = ServerProcess(home, extra_args=["--ping-interval", "0.5"]).start()
    try:
        raw = socket.create_connection(("127.0.0.1", proc.port), timeout=5)
        key = base64.b64encode(os.urandom(16)).decode()
        raw.sendall(
            (
                f"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        assert b"101" in raw.recv(4096).split(b"\r\n", 1)[0]
        hello = json.dumps(
            {"type": "hello", "role": "kiosk", "device": "kiosk-1", "token": home.token("kiosk", "kiosk-1")}
        ).encode()
        mask = os.urandom(4)
        raw.sendall(
            bytes([0x81, 0x80 | 126])
            + len(hello).to_bytes(2, "big")
            + mask
            + bytes(b ^ mask[i % 4] for i, b in enumerate(hello))
        )

        def connections() -> int:
            with urllib.request.urlopen(f"http://127.0.0.1:{proc.port}/health", timeout=5) as response:
                count: int = json.loads(response.read())["connections"]
                return count

        deadline = time.monotonic() + 5
        while connections() != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert connections() == 1
        # From now on the "device" reads nothing and answers no ping.
        deadline = time.monotonic() + 10
        while connections() != 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert connections() == 0
        raw.close()
    finally:
        proc.stop()


def test_an_old_request_id_sent_again_is_answered_from_the_log(home: Home) -> None:
    """The server keeps only each device's last answers in memory; an id older than those,
    sent again, gets its first answer from the log and issues nothing (it once failed the
    whole commit on the replies' unique key, throwing away other devices' decisions)."""
    from server.hub.replies import PER_DEVICE

    proc = ServerProcess(home).start()
    try:
        k = kiosk(proc)
        first = k.request("issue", rid="k-old", service="DIN-ID")
        for n in range(PER_DEVICE + 3):
            assert k.request("issue", rid=f"k-{n}", service="DIN-ID")["type"] == "reply"
        again = k.request("issue", rid="k-old", service="DIN-ID")
        assert again == first
        after = k.request("issue", rid="k-new", service="DIN-ID")
        assert after["result"]["ticket"]["number"] == f"A{PER_DEVICE + 5:03d}", "nothing issued twice"
    finally:
        proc.stop()
