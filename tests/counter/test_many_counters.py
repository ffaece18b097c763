"""Twenty counter view-models with real connections call next at the same moment."""

from __future__ import annotations

import collections

from counter.viewmodel import Action
from tests.counter.helpers import issue, queued_vms
from tests.server.harness import DEMO_PASSWORD, ServerProcess, supervisor


def test_twenty_counters_call_next_at_once(server: ServerProcess) -> None:
    """Counters 1-18 (DIN) and 19-20 (Justice) press "call next" twice each, all at once,
    with 12 DIN and 1 Justice tickets waiting: 13 counters get 13 different tickets, the
    other 7 hear "nobody is waiting", and no ticket is called twice."""
    issued = issue(server, *(["DIN-ID"] * 6 + ["DIN-PASS"] * 6 + ["EDL-POA"]))
    numbers = list(range(1, 21))
    with queued_vms(server, numbers) as (vms, calls, _):
        assert calls.run_until(lambda: all(vm.online for vm in vms))
        for vm in vms:
            assert vm.login(f"op{vm.counter}", DEMO_PASSWORD)
        assert calls.run_until(lambda: all(vm.logged_in for vm in vms))
        assert calls.run_until(lambda: all(vm.waiting_total > 0 for vm in vms))

        sent = [vm.call_next() for vm in vms] + [vm.call_next() for vm in vms]
        assert sent == [True] * 20 + [False] * 20  # the second click of each does nothing
        assert calls.run_until(lambda: all(vm.pending is None for vm in vms), timeout=20)

        called = [vm.current.number for vm in vms if vm.current is not None]
        refused = [vm.error.code for vm in vms if vm.error is not None]
        assert len(called) == len(set(called)) == 13
        assert sorted(called) == sorted(issued)
        assert refused == ["nothing_to_call"] * 7
        assert all(not vm.can(Action.CALL_NEXT) for vm in vms if vm.current is not None)

    # The server agrees: each ticket is held by exactly one counter.
    boss = supervisor(server)
    try:
        welcome = boss.seen[-1] if boss.seen else None
        assert welcome is not None
        holders = collections.Counter(
            view["current"]["number"] for view in welcome["snapshot"]["counters"].values() if view["current"]
        )
        assert sorted(holders) == sorted(issued)
        assert set(holders.values()) == {1}
    finally:
        boss.close()
