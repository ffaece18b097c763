"""Who may connect, over a real server: a supervisor's wrong password is called that."""

from __future__ import annotations

import pytest

from tests.server.harness import DEMO_PASSWORD, ServerProcess, WsClient, supervisor


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
