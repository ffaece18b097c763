"""novbe init: a new center, its device files and its operators' credentials."""

from __future__ import annotations

import json
import stat
import time
from pathlib import Path

import pytest

from server.center import ConfigError, load_center
from server.center.provision import DEMO_PASSWORD, DEMO_PUBLIC_URL, InitResult, init_center
from server.security import password_needs_rehash, verify_password, verify_token
from wire.device import load_device

from .conftest import EXAMPLE, REFERENCE


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def example_init(tmp_path_factory: pytest.TempPathFactory) -> InitResult:
    """The small example center with random passwords."""
    return init_center(
        tmp_path_factory.mktemp("example"), reference=None, server_url="wss://hall.example:8765"
    )


@pytest.fixture(scope="module")
def reference_init(tmp_path_factory: pytest.TempPathFactory) -> InitResult:
    """The reference center, demo passwords."""
    if not REFERENCE.exists():
        pytest.skip("reference center description not available")
    return init_center(tmp_path_factory.mktemp("baku1"), reference=REFERENCE, demo=True)


def test_init_writes_a_small_example_center(example_init: InitResult) -> None:
    center = load_center(example_init.center_path)
    assert center == example_init.center
    hall = center.to_hall()
    assert (len(center.zones), len(center.agencies), len(hall.services), len(hall.counters)) == (1, 2, 3, 4)
    assert (len(center.displays), len(center.kiosks)) == (1, 1)
    assert [o.login for o in center.operators] == ["supervisor", "op1", "op2", "op3", "op4"]
    assert center.operator("op3").counters == [3]
    assert center.operator("supervisor").supervisor
    assert center.operator("supervisor").counters == []


def test_init_starts_from_the_example_center_without_its_machines(example_init: InitResult) -> None:
    """The hall, hours, rules and routing are the example file's; its printer and number boards,
    which name ports of the example's PCs, and its operators and devices are not."""
    example = load_center(EXAMPLE)
    center = example_init.center
    assert (center.code, center.name, center.languages) == (example.code, example.name, example.languages)
    assert (center.hours, center.rules, center.routing) == (example.hours, example.rules, example.routing)
    assert (center.zones, center.agencies) == (example.zones, example.agencies)
    assert center.displays == example.displays
    assert center.prefix_of("DIN-PASS") == "P"
    kept = [c.model_dump(exclude={"board", "board_line", "board_address"}) for c in example.counters]
    assert [c.model_dump(exclude={"board", "board_line", "board_address"}) for c in center.counters] == kept
    assert any(c.board or c.board_line for c in example.counters)
    assert example.board_lines
    assert [(c.board, c.board_line, c.board_address) for c in center.counters] == [(None, None, None)] * 4
    assert center.board_lines == []
    assert [k.printer for k in example.kiosks] != [None]
    assert [(k.code, k.zone, k.printer, k.paper_mm) for k in center.kiosks] == [("kiosk-1", "hall", None, 80)]
    assert {o.login for o in example.operators} <= {o.login for o in center.operators}
    assert not {o.password_hash for o in example.operators} & {o.password_hash for o in center.operators}
    assert not {d.token_sha256 for d in example.devices} & {d.token_sha256 for d in center.devices}


def test_init_writes_secrets_readable_by_owner_only(example_init: InitResult) -> None:
    assert _mode(example_init.center_path) == 0o600
    assert _mode(example_init.credentials_path) == 0o600
    assert _mode(example_init.center_path.parent / "devices") == 0o700
    for path in example_init.device_paths.values():
        assert _mode(path) == 0o600, path


def test_init_writes_one_loadable_file_per_device(example_init: InitResult) -> None:
    paths = example_init.device_paths
    assert sorted(p.name for p in paths.values()) == sorted(
        p.name for p in (example_init.center_path.parent / "devices").iterdir()
    )
    assert sorted(paths) == sorted(
        [("kiosk", "kiosk-1"), ("display", "hall"), ("supervisor", "1")]
        + [("counter", str(n)) for n in range(1, 5)]
        + [("rating", str(n)) for n in range(1, 5)]
    )
    kiosk = load_device(paths["kiosk", "kiosk-1"])
    # A real center's kiosk prints on the printer its administrator names: none yet.
    assert (kiosk.role, kiosk.printer, kiosk.paper_mm) == ("kiosk", None, 80)
    assert kiosk.server_url == "wss://hall.example:8765"
    assert load_center(example_init.center_path).server_url == "wss://hall.example:8765"
    assert {load_device(p).server_url for p in paths.values()} == {"wss://hall.example:8765"}
    counter = load_device(paths["counter", "3"])
    assert (counter.role, counter.code, counter.counter) == ("counter", "3", 3)
    terminal = load_device(paths["rating", "3"])
    assert (terminal.role, terminal.code, terminal.counter, terminal.board) == ("rating", "3", 3, None)
    display = load_device(paths["display", "hall"])
    assert (display.languages, display.volume) == (["az", "ru", "en"], 80)
    # The screen's settings, and the center's time zone for the clock before the first answer.
    assert (display.screen_languages, display.screen_mode, display.screen_every_s) == (
        ["az", "ru"],
        "alternate",
        10,
    )
    assert display.timezone == "Asia/Baku"
    assert kiosk.timezone is None
    assert paths["counter", "3"].name == "counter-3.toml"


def test_init_device_tokens_verify_against_center(example_init: InitResult) -> None:
    center = load_center(example_init.center_path)
    for (role, code), path in example_init.device_paths.items():
        cfg = load_device(path)
        assert cfg.token == example_init.tokens[role, code]
        device = center.device_by_token(cfg.token)
        assert device is not None
        assert (device.role, device.code) == (role, code)
        assert verify_token(device.token_sha256, cfg.token)
    assert center.device_by_token("not-a-token") is None
    assert len(set(example_init.tokens.values())) == len(example_init.tokens)


def test_init_passwords_verify_and_wrong_ones_do_not(example_init: InitResult) -> None:
    center = load_center(example_init.center_path)
    credentials = example_init.credentials_path.read_text(encoding="utf-8")
    for operator in center.operators:
        password = example_init.passwords[operator.login]
        assert password != DEMO_PASSWORD
        assert f"{operator.login:<12} {password}" in credentials
        assert verify_password(operator.password_hash, password)
        assert not verify_password(operator.password_hash, password + "x")
        assert not password_needs_rehash(operator.password_hash)
    assert len(set(example_init.passwords.values())) == len(example_init.passwords)
    assert DEMO_PASSWORD not in credentials


def test_init_refuses_to_overwrite_a_center(example_init: InitResult) -> None:
    before = example_init.center_path.read_bytes()
    with pytest.raises(ConfigError, match=r"center\.toml: already exists; refusing to overwrite it") as info:
        init_center(example_init.center_path.parent, reference=None)
    assert isinstance(info.value, FileExistsError)
    assert example_init.center_path.read_bytes() == before


def test_init_demo_gives_kiosks_a_virtual_printer_in_its_folder(tmp_path: Path) -> None:
    result = init_center(tmp_path, reference=None, demo=True)
    printer = load_device(result.device_paths["kiosk", "kiosk-1"]).printer
    assert printer == f"virtual://{(tmp_path / 'tickets' / 'kiosk-1').resolve()}"
    assert result.center.server_url == "ws://127.0.0.1:8765"


def test_init_force_keeps_every_password_and_token(tmp_path: Path) -> None:
    """Overwriting a center keeps its secrets: the devices and operators keep working."""
    first = init_center(tmp_path, reference=None)
    stale = tmp_path / "devices" / "kiosk-old.toml"
    stale.write_text("", encoding="utf-8")
    center_before = load_center(tmp_path / "center.toml")
    second = init_center(tmp_path, reference=None, force=True, server_url="ws://10.0.0.2:9000")
    assert not stale.exists()
    assert second.tokens == first.tokens
    assert sorted(second.kept_tokens) == sorted(first.tokens)
    assert sorted(second.kept_passwords) == sorted(first.passwords)
    center = load_center(tmp_path / "center.toml")
    assert center == second.center
    assert center.devices == center_before.devices
    assert [o.password_hash for o in center.operators] == [o.password_hash for o in center_before.operators]
    # The passwords not yet handed out are still in credentials.txt.
    assert second.passwords == first.passwords
    for (role, code), path in second.device_paths.items():
        config = load_device(path)
        assert (config.token, config.server_url) == (first.tokens[role, code], "ws://10.0.0.2:9000")


def test_init_force_makes_new_secrets_only_when_told(tmp_path: Path) -> None:
    first = init_center(tmp_path, reference=None, demo=True)
    second = init_center(tmp_path, reference=None, demo=True, force=True, new_secrets=True)
    assert second.tokens.keys() == first.tokens.keys()
    assert (second.kept_tokens, second.kept_passwords) == ((), ())
    for key, token in first.tokens.items():
        assert token != second.tokens[key]


def test_init_force_keeps_a_token_whose_file_is_elsewhere(tmp_path: Path) -> None:
    """A device file already copied to its machine and removed here: the token is kept (the
    machine keeps working) and no file is made up for it."""
    first = init_center(tmp_path, reference=None, demo=True)
    first.device_paths["counter", "2"].unlink()
    second = init_center(tmp_path, reference=None, demo=True, force=True)
    assert second.not_here == (("counter", "2"),)
    assert ("counter", "2") not in second.device_paths
    assert second.center.device_by_token(first.tokens["counter", "2"]) is not None


def test_init_force_refuses_to_guess_the_secrets_of_a_broken_center(tmp_path: Path) -> None:
    init_center(tmp_path, reference=None, demo=True)
    center_path = tmp_path / "center.toml"
    center_path.write_text(center_path.read_text(encoding="utf-8") + "\nbogus = 1\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*.toml")}
    with pytest.raises(ConfigError, match=r"cannot keep its passwords and tokens.*--new-secrets"):
        init_center(tmp_path, reference=None, demo=True, force=True)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.toml")} == before
    init_center(tmp_path, reference=None, demo=True, force=True, new_secrets=True)
    load_center(center_path)


def test_init_converts_the_reference_with_demo_passwords(reference_init: InitResult) -> None:
    center = load_center(reference_init.center_path)
    hall = center.to_hall()
    assert (len(hall.services), len(hall.counters)) == (30, 81)
    assert len(center.operators) == 82
    assert center.operator("op13").counters == [13]
    assert all(
        verify_password(center.operator(o).password_hash, DEMO_PASSWORD) for o in ("op1", "supervisor")
    )
    # Cheap parameters for a published password; the login code rehashes if asked to.
    assert password_needs_rehash(center.operator("op1").password_hash)
    # Kiosks, counters, displays, ratings, the supervisor's desk, and the demo's citizens' pages.
    assert len(reference_init.device_paths) == 4 + 81 + 7 + 81 + 1 + 1
    assert center.public is not None
    assert center.public.base_url == DEMO_PUBLIC_URL
    assert f'every password is "{DEMO_PASSWORD}"' in reference_init.credentials_path.read_text(
        encoding="utf-8"
    )
    assert center.workload is not None


def test_init_writes_a_device_file_for_each_board_line(tmp_path: Path) -> None:
    """The line's file names its port and every board on it; its counters' files name none."""
    if not REFERENCE.exists():
        pytest.skip("reference center description not available")
    data = json.loads(REFERENCE.read_text(encoding="utf-8"))
    data["board_lines"] = [{"code": "floor-1", "url": "serial:///dev/novbe-boards-1?ack=06"}]
    for item in data["counters"][:3]:
        item["board_line"] = "floor-1"
    data["counters"][2]["board_address"] = 30
    reference = tmp_path / "reference.json"
    reference.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    result = init_center(tmp_path / "center", reference=reference, demo=True)
    line = load_device(result.device_paths["boards", "floor-1"])
    assert (line.role, line.code, line.board, line.boards) == (
        "boards",
        "floor-1",
        "serial:///dev/novbe-boards-1?ack=06",
        {1: 1, 2: 2, 3: 30},
    )
    assert verify_token(result.center.device("boards", "floor-1").token_sha256, line.token)
    third = load_device(result.device_paths["counter", "3"])
    assert (third.board, third.board_address) == (None, None)
    assert 'board_line = "floor-1"' in result.center_path.read_text(encoding="utf-8")


@pytest.mark.slow
def test_init_hashes_the_reference_passwords_in_seconds(tmp_path: Path) -> None:
    """82 real argon2 hashes: the parameters keep `novbe init` within a few seconds (about 2 s
    on an idle 2-core machine; the bound leaves room for a busy one)."""
    if not REFERENCE.exists():
        pytest.skip("reference center description not available")
    start = time.perf_counter()
    result = init_center(tmp_path, reference=REFERENCE)
    assert time.perf_counter() - start < 20
    assert len(result.passwords) == 82
