"""``novbe appointments``: a token for the booking API, a CSV imported through a real server's
booking API, the bookings listed from the log, and one clear line for each mistake."""

from __future__ import annotations

import csv
import hashlib
import re
from datetime import timedelta
from pathlib import Path

from server.center import load_center
from tests.server.bookings import BookingClient, booking_url, now, take_bookings
from tests.server.harness import ServerProcess, make_home, run_novbe


def test_token_import_and_list(tmp_path: Path) -> None:
    home = make_home(tmp_path / "center")
    take_bookings(home, per_slot=1)
    made = run_novbe("appointments", "token", "--dir", str(home.path))
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert digest in made.stderr
    assert load_center(home.path / "center.toml").appointments.token_sha256 == digest
    # A second token replaces the first: one token_sha256 in the table.
    again = run_novbe("appointments", "token", "--dir", str(home.path))
    token = again.stdout.strip()
    text = (home.path / "center.toml").read_text(encoding="utf-8")
    assert text.count("token_sha256 = ") - text.count("[[devices]]") == 1
    assert (
        load_center(home.path / "center.toml").appointments.token_sha256
        == hashlib.sha256(token.encode()).hexdigest()
    )

    day = (now() + timedelta(days=1)).date()
    rows = tmp_path / "bookings.csv"
    rows.write_text(
        "service;date;time;name;phone;lang\n"
        f"DIN-ID;{day};10:00;Aysel Məmmədova;+994501234567;az\n"
        f"DIN-ID;{day};10:00;Rəşad Əliyev;;ru\n"
        f"DIN-ID;{day};10:03;;;\n"
        f"DIN-ID;{day:%d.%m.%Y};10:05;;;\n"
        f"NOPE;{day};10:10;;;\n"
        "\n"
        f"DIN-ID;{day};10:15;;;en\n",
        encoding="utf-8",
    )
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n", encoding="utf-8")
    server = ServerProcess(home, extra_args=["--booking-port", "0"]).start()
    try:
        url = booking_url(server)
        out = tmp_path / "result.csv"
        done = run_novbe(
            "appointments", "import", str(rows), "--dir", str(home.path), "--url", url,
            "--token-file", str(token_file), "--out", str(out),
        )  # fmt: skip
        assert done.returncode == 1, done.stderr  # some rows refused
        lines = done.stdout.splitlines()
        assert re.fullmatch(rf"line 2: booked \d{{8}} DIN-ID {day} 10:00", lines[0]), lines
        assert lines[1].startswith("line 3: refused: slot_full: ")
        assert lines[2].startswith("line 4: refused: not_a_slot: 10:03 is not the start of a slot")
        assert lines[3] == f"line 5: refused: invalid_request: date '{day:%d.%m.%Y}' is not YYYY-MM-DD"
        assert lines[4].startswith("line 6: refused: unknown_service: ")
        assert re.fullmatch(r"line 8: booked \d{8} .*", lines[5]), lines
        assert "6 rows, 2 booked, 4 refused" in done.stderr
        with out.open(encoding="utf-8") as f:
            written = list(csv.DictReader(f))
        assert [r["result"] for r in written][:2] == ["booked", written[1]["result"]]
        assert written[0]["code"] == lines[0].split()[3]
        assert written[0]["name"] == "Aysel Məmmədova"
        # The import is the API's: it answers the booking the CSV made.
        status, one = BookingClient(url, token).call("GET", f"/bookings/{written[0]['code']}")
        assert (status, one["name"], one["phone"]) == (200, "Aysel Məmmədova", "+994501234567")
    finally:
        server.stop()

    listed = run_novbe("appointments", "list", "--dir", str(home.path), "--day", str(day))
    assert listed.returncode == 0, listed.stderr
    body = listed.stdout.splitlines()
    assert body[0].split()[:4] == ["code", "service", "slot", "state"]
    assert len(body) == 3
    assert f"{day} 10:00 booked" in body[1]
    assert "Aysel Məmmədova, +994501234567" in body[1]
    assert "2 bookings" in listed.stderr
    other = run_novbe("appointments", "list", "--dir", str(home.path), "--day", str(day + timedelta(days=1)))
    assert other.stdout.splitlines()[1:] == []


def test_mistakes_get_one_clear_line(tmp_path: Path) -> None:
    home = make_home(tmp_path / "center")
    take_bookings(home)
    good = tmp_path / "good.csv"
    good.write_text("service,date,time\nDIN-ID,2030-01-07,10:00\n", encoding="utf-8")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("service,day,hour\nDIN-ID,2030-01-07,10:00\n", encoding="utf-8")
    token = tmp_path / "token"
    token.write_text("t", encoding="utf-8")
    base = ("appointments", "import", "--dir", str(home.path), "--url", "http://127.0.0.1:9")
    for args, env, said in [
        ((*base, str(tmp_path / "none.csv"), "--token-file", str(token)), {}, "there is no file"),
        (
            (*base, str(wrong), "--token-file", str(token)),
            {},
            "date, time missing (found: service, day, hour)",
        ),
        ((*base, str(good)), {"NOVBE_BOOKING_TOKEN": ""}, "no token for the booking API"),
        (
            (*base, str(good), "--token-file", str(token)),
            {},
            "cannot reach the booking API at http://127.0.0.1:9",
        ),
        (("appointments", "list", "--dir", str(home.path), "--day", "7.1.2030"), {}, "a day is YYYY-MM-DD"),
    ]:
        done = run_novbe(*args, env=env)
        assert done.returncode == 2, (args, done.stderr)
        # One line says it (argparse shows the usage above its own).
        assert said in done.stderr.strip().splitlines()[-1], done.stderr
        assert "Traceback" not in done.stderr
