"""A user's mistake at the command line: exit status 2 and one line naming the problem and
the fix, from every ``novbe`` command, never a traceback.

Most cases call ``novbe.cli.main`` (the ``novbe`` entry point) and read stderr; the ones
that only show up in a real process (a port taken while the server binds, the interpreter's
own error handling) run ``python -m novbe`` in a subprocess.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from novbe.cli import main as novbe
from server.center.provision import init_center
from tests.server.harness import run_novbe

CHECKOUT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def center_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small center made by init, with its database."""
    home = tmp_path_factory.mktemp("center")
    assert novbe(["init", "--dir", str(home), "--demo"]) == 0
    return home


def refused(capsys: pytest.CaptureFixture[str], argv: list[str], *expected: str) -> str:
    """Run ``novbe ARGV``: it must exit 2 with one line on stderr holding each of
    ``expected``; returns the line."""
    assert novbe(argv) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def plain_file(tmp_path: Path) -> Path:
    """A file where a folder is expected."""
    file = tmp_path / "file"
    file.write_text("", encoding="utf-8")
    return file


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


# --- novbe server ---------------------------------------------------------------------------


def test_server_on_a_port_already_taken(center_dir: Path, taken_port: int) -> None:
    """The real command, as an operator starts it twice by mistake."""
    done = run_novbe("server", "--dir", str(center_dir), "--port", str(taken_port))
    assert done.returncode == 2
    assert done.stderr == (
        f"novbe server: port {taken_port} on 127.0.0.1 is already in use (another novbe server?);"
        " stop the program using it, or give another --port\n"
    )


def test_server_with_a_database_url_it_cannot_use(center_dir: Path) -> None:
    done = run_novbe("server", "--dir", str(center_dir), "--db", "foo://bar")
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith('novbe server: "foo://bar" is not a database novbe can use')
    assert "give --db sqlite:///" in done.stderr


def test_server_with_a_missing_certificate_or_key(
    center_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["server", "--dir", str(center_dir)]
    missing = tmp_path / "server.crt"
    refused(capsys, [*base, "--cert", str(missing)], f"cannot read --cert {missing}", "No such file")
    refused(capsys, [*base, "--cert", str(tmp_path)], "Is a directory", "give --cert")
    not_pem = tmp_path / "not.pem"
    not_pem.write_text("hello\n", encoding="utf-8")
    refused(capsys, [*base, "--cert", str(not_pem)], "not a PEM certificate", "give --cert")
    refused(capsys, [*base, "--key", str(not_pem)], "--key was given without --cert")
    refused(capsys, [*base, "--cert", str(not_pem), "--key", str(missing)], f"cannot read --key {missing}")


def test_server_in_the_wrong_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    nowhere = tmp_path / "nowhere"
    refused(capsys, ["server", "--dir", str(nowhere)], f"no folder {nowhere}", f"novbe init --dir {nowhere}")
    refused(capsys, ["server", "--dir", str(tmp_path)], f"{tmp_path} holds no center.toml", "give --dir")
    refused(capsys, ["server", "--center", str(tmp_path / "c.toml")], "no center file", "give --center")


def test_server_with_an_unreadable_center_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Tests run as root, which reads any file whatever its mode: a folder in the file's place
    # and bytes that are not UTF-8 are what stays unreadable.
    (tmp_path / "center.toml").mkdir()
    refused(capsys, ["server", "--dir", str(tmp_path)], "cannot read: Is a directory", "correct it")
    garbled = tmp_path / "garbled.toml"
    garbled.write_bytes(b"code = \xff\xfe\n")
    refused(capsys, ["server", "--center", str(garbled)], "not UTF-8 text")


def test_server_listening_where_it_cannot(center_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["server", "--dir", str(center_dir), "--port", "0"]
    refused(capsys, [*base, "--host", "no-such-host.invalid"], 'cannot listen on "no-such-host.invalid"')
    refused(capsys, [*base, "--host", "192.0.2.1"], "192.0.2.1 is not an address of this machine", "--host")


def test_server_port_out_of_range_is_argparses_error(center_dir: Path) -> None:
    done = run_novbe("server", "--dir", str(center_dir), "--port", "99999")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1].endswith("a port is a number from 0 to 65535, not 99999")


# --- novbe init -----------------------------------------------------------------------------


def test_init_with_a_bad_database_url_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "new"
    refused(capsys, ["init", "--dir", str(home), "--db", "foo://bar"], "not a database novbe can use", "--db")
    assert not home.exists()


def test_init_in_a_file_or_over_a_center(
    center_dir: Path, tmp_path: Path, plain_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused(capsys, ["init", "--dir", str(plain_file)], "is a file, not a folder", "give --dir a folder")
    before = (center_dir / "center.toml").read_bytes()
    refused(capsys, ["init", "--dir", str(center_dir)], "center.toml already exists", "give --force")
    assert (center_dir / "center.toml").read_bytes() == before
    refused(capsys, ["init", "--dir", str(tmp_path / "x"), "--new-secrets"], "give it with --force")


def test_init_from_a_missing_or_malformed_reference(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "new"
    base = ["init", "--dir", str(home), "--from"]
    refused(capsys, [*base, str(tmp_path / "none.json")], "there is no reference file", "give --from")
    refused(capsys, [*base, str(tmp_path)], "there is no reference file", "give --from")
    broken = tmp_path / "broken.json"
    broken.write_text('{"center": ', encoding="utf-8")
    refused(capsys, [*base, str(broken)], f"{broken}: not valid JSON", "give --from a reference center JSON")
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    refused(capsys, [*base, str(listed)], "not a center description", "got a list")
    shapeless = tmp_path / "shapeless.json"
    shapeless.write_text(json.dumps({"center": {"code": "X"}, "zones": "floor-1"}), encoding="utf-8")
    refused(capsys, [*base, str(shapeless)], f"{shapeless}: zones: must be a list, got a string")
    assert not home.exists()


def test_init_with_a_server_url_that_is_not_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["init", "--dir", str(tmp_path / "new")]
    refused(capsys, [*base, "--server-url", "http://hall"], 'got "http://hall"', "give --server-url as ws://")
    refused(capsys, [*base, "--server-url", "ws://hall:1", "--port", "2"], "give either --server-url or")


def test_init_writes_the_url_of_host_and_port_into_every_device_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "hall"
    assert novbe(["init", "--dir", str(home), "--demo", "--host", "hall.local", "--port", "9100"]) == 0
    assert "server URL:  ws://hall.local:9100" in capsys.readouterr().out
    urls = {
        line
        for p in (home / "devices").iterdir()
        for line in p.read_text().splitlines()
        if "server_url" in line
    }
    assert urls == {'server_url = "ws://hall.local:9100"'}
    assert 'server_url = "ws://hall.local:9100"' in (home / "center.toml").read_text(encoding="utf-8")


def test_init_force_says_what_it_kept(
    center_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "hall"
    assert novbe(["init", "--dir", str(home)]) == 0
    tokens = {p.name: p.read_bytes() for p in (home / "devices").iterdir()}
    capsys.readouterr()
    assert novbe(["init", "--dir", str(home), "--force"]) == 0
    out = capsys.readouterr().out
    assert "kept:        5 passwords and 11 device tokens" in out
    assert "no printer for kiosk kiosk-1" in out
    assert {p.name: p.read_bytes() for p in (home / "devices").iterdir()} == tokens


# --- novbe audit verify, novbe device ---------------------------------------------------------


def test_audit_in_the_wrong_folder_or_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(capsys, ["audit", "verify", "--dir", str(tmp_path)], "there is no event log", "give --dir")
    assert not (tmp_path / "novbe.db").exists()  # and it made none
    refused(capsys, ["audit", "verify", "--db", "foo://bar"], "not a database novbe can use", "give --db")
    refused(capsys, ["audit", "verify", "--db", "postgresql+nosuchdriver://u@h/d"], "not a database")


def test_device_commands_in_the_wrong_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refused(capsys, ["device", "list", "--dir", str(tmp_path)], "holds no center.toml", "novbe init --dir")
    refused(capsys, ["device", "token", "kiosk", "kiosk-1", "--dir", str(tmp_path / "x")], "no folder")


def test_device_token_for_a_device_the_center_lacks(
    center_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (center_dir / "center.toml").read_bytes()
    refused(
        capsys,
        ["device", "token", "kiosk", "kiosk-9", "--dir", str(center_dir)],
        "there is no kiosk kiosk-9; add it under [[kiosks]] first",
    )
    refused(capsys, ["device", "token", "counter", "x", "--dir", str(center_dir)], "there is no counter x")
    assert (center_dir / "center.toml").read_bytes() == before


# --- the apps -------------------------------------------------------------------------------


@pytest.mark.parametrize("app", ["kiosk", "counter", "display", "rating"])
def test_app_with_a_missing_or_wrong_device_file(
    app: str, center_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / f"{app}-1.toml"
    refused(
        capsys,
        [app, "--device", str(missing)],
        f"{missing}: cannot read: No such file",
        f"the file of a {app}",
    )
    refused(capsys, [app, "--device", str(tmp_path)], "cannot read: Is a directory", "give --device")
    other = center_dir / "devices" / ("counter-1.toml" if app != "counter" else "display-hall.toml")
    refused(capsys, [app, "--device", str(other)], f"not of a {app}", f"give --device the file of a {app}")


def test_app_without_a_screen(center_dir: Path) -> None:
    """Qt would abort with a core dump; the command says what is missing instead."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "novbe",
            "counter",
            "--device",
            str(center_dir / "devices" / "counter-1.toml"),
        ],
        cwd=CHECKOUT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("novbe counter: there is no screen to open the window on")
    assert done.stderr.count("\n") == 1


def test_simulate_with_a_malformed_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    refused(capsys, ["simulate", "--center", str(listed)], f"{listed}: not a center description")


def test_demo_in_a_file_or_on_a_taken_port(
    tmp_path: Path, plain_file: Path, taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    refused(capsys, ["demo", "--dir", str(plain_file)], "is a file, not a folder", "give --dir")
    refused(capsys, ["demo", "--dir", str(tmp_path / "d"), "--port", str(taken_port)], "already in use")


def test_a_folder_that_is_not_the_demos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    init_center(tmp_path, reference=None, demo=True)
    refused(capsys, ["demo", "--dir", str(tmp_path)], "is not the demo's center", "give --dir a new folder")


def test_a_demo_folder_from_before_the_rating_terminals_gets_one(tmp_path: Path) -> None:
    from novbe.demo import RATED, prepare
    from server.center import load_center
    from wire.device import load_device

    home = tmp_path / "hall"
    prepare(home, 8765)
    (home / "devices" / f"rating-{RATED}.toml").unlink()
    hall = prepare(home, 8765)
    terminal = load_device(hall.devices["rating"])
    assert (terminal.role, terminal.counter, terminal.server_url) == ("rating", RATED, "ws://127.0.0.1:8765")
    assert load_center(home / "center.toml").device_by_token(terminal.token) is not None


def test_simulate_refuses_outputs_it_cannot_write_before_simulating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "file"
    file.write_text("", encoding="utf-8")
    reference = str(CHECKOUT / "server" / "centers" / "baku1.json")
    refused(
        capsys,
        ["simulate", "--center", reference, "--plots", str(file)],
        "is a file",
        "give --plots a folder",
    )
    refused(capsys, ["simulate", "--center", reference, "--csv", str(tmp_path)], "is a folder", "give --csv")


def test_display_with_a_voice_pack_that_is_not_there(
    center_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = tmp_path / "display-hall.toml"
    text = (center_dir / "devices" / "display-hall.toml").read_text(encoding="utf-8")
    device.write_text(text + f'voice_pack = "{tmp_path / "voices"}"\n', encoding="utf-8")
    refused(capsys, ["display", "--device", str(device)], "voice_pack", "is not a folder", "built-in voice")


def test_a_sqlite_database_in_a_folder_that_is_not_there(
    center_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'gone' / 'novbe.db'}"
    refused(
        capsys, ["server", "--dir", str(center_dir), "--db", url], f"there is no folder {tmp_path / 'gone'}"
    )
