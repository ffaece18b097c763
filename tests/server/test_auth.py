"""Who may connect, over a real server: a supervisor's wrong password is called that, and one
device's token is rotated without touching any other."""

from __future__ import annotations

import pytest

from novbe.cli import main as novbe
from server.security import hash_token
from tests.server.harness import DEMO_PASSWORD, Home, ServerProcess, WsClient, counter, kiosk, supervisor


def test_supervisor_with_a_wrong_password_is_told_so(server: ServerProcess) -> None:
    """Not "device not recognised": the supervisor typed a password, and it is wrong."""
    for login in ("supervisor", "nobody"):  # unknown logins get the same answer
        client = WsClient(server.url)
        refused = client.hello(role="supervisor", login=login, password="nope", lang="en")
        assert (refused["type"], refused["code"], refused["message"]) == (
            "error",
            "wrong_password",
            "Wrong login or password.",
        )
        with pytest.raises(Exception, match=r"4001|closed"):
            client.recv(2)
    # An operator who is not a supervisor may not open the supervisor's desk.
    client = WsClient(server.url)
    assert client.hello(role="supervisor", login="op1", password=DEMO_PASSWORD)["code"] == "wrong_password"
    # A device with a wrong token is still "not recognised".
    assert WsClient(server.url).hello(role="kiosk", device="kiosk-1", token="x" * 43)["code"] == "auth_failed"
    supervisor(server)


def test_one_device_gets_a_new_token_and_no_other_changes(home: Home) -> None:
    """`novbe device token kiosk kiosk-2`: after a restart the new token works, the old one
    doesn't, every other device connects as before, and center.toml keeps its comments."""
    devices = home.path / "devices"
    files = {p.name: p.read_bytes() for p in devices.iterdir()}
    center_toml = (home.path / "center.toml").read_text(encoding="utf-8")
    old = home.token("kiosk", "kiosk-2")
    assert novbe(["device", "token", "kiosk", "kiosk-2", "--dir", str(home.path)]) == 0
    new = home.token("kiosk", "kiosk-2")
    assert new != old
    changed = {p.name for p in devices.iterdir() if p.read_bytes() != files.get(p.name)}
    assert changed == {"kiosk-kiosk-2.toml"}
    after = (home.path / "center.toml").read_text(encoding="utf-8")
    assert after == center_toml.replace(hash_token(old), hash_token(new))
    server = ServerProcess(home).start()
    try:
        assert WsClient(server.url).hello(role="kiosk", device="kiosk-2", token=old)["code"] == "auth_failed"
        kiosk(server, "kiosk-2")
        kiosk(server, "kiosk-1")
        counter(server, 5)
    finally:
        server.stop()
