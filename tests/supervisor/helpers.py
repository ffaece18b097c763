"""A supervisor's desk on a real server, without Qt: the view-model and its session."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from server.store import EventStore
from supervisor.viewmodel import SupervisorViewModel
from tests.server.harness import DEMO_PASSWORD, TIMEOUT, Home, ServerProcess
from wire.client import ClientOptions
from wire.device import DeviceConfig, load_device
from wire.events import Event
from wire.session import CallQueue, Session

FAST = ClientOptions(backoff_min=0.05, backoff_max=0.3)


def desk_config(home: Home, server: ServerProcess) -> DeviceConfig:
    """The desk's device file made by ``novbe init``, pointed at the test's server."""
    config = load_device(home.path / "devices" / "supervisor-1.toml")
    return config.model_copy(update={"server_url": server.url})


@dataclass
class Desk:
    vm: SupervisorViewModel
    session: Session
    calls: CallQueue

    def until(self, condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
        """Run the desk's callbacks until ``condition`` holds."""
        assert self.calls.run_until(condition, timeout), "the desk never got there"

    def sign_in(self, password: str = DEMO_PASSWORD) -> None:
        self.vm.sign_in("supervisor", password)
        self.until(lambda: self.vm.online and self.vm.center is not None)


@contextmanager
def desk_on(home: Home, server: ServerProcess, lang: str = "en") -> Iterator[Desk]:
    calls = CallQueue()
    vm = SupervisorViewModel(post=calls.post, lang=lang)
    session = Session(desk_config(home, server), vm, post=calls.post, options=FAST)
    vm.attach(session)
    try:
        yield Desk(vm, session, calls)
    finally:
        session.stop()


def logged(home: Home) -> list[Event]:
    """Every event of the server's log."""
    store = EventStore(home.db_url)
    try:
        return [stored.event for stored in store.load()]
    finally:
        store.close()


def with_standard(home: Home, minutes: float) -> None:
    """Set the center's wait standard (``[rules] wait_standard_min``) before the server starts."""
    path: Path = home.path / "center.toml"
    text = path.read_text(encoding="utf-8")
    if re.search(r"^wait_standard_min\s*=", text, flags=re.M):
        text = re.sub(r"^wait_standard_min\s*=.*$", f"wait_standard_min = {minutes}", text, flags=re.M)
    elif "[rules]" in text:
        text = text.replace("[rules]", f"[rules]\nwait_standard_min = {minutes}", 1)
    else:
        text += f"\n[rules]\nwait_standard_min = {minutes}\n"
    path.write_text(text, encoding="utf-8")
