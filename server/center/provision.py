"""A center's folder: ``novbe init`` makes it, ``novbe device`` looks after its devices.

The folder holds ``center.toml`` (the configuration, with secrets only as hashes),
``devices/<role>-<code>.toml`` (one file per device: the server's URL, the device's token in
clear, its hardware settings) and ``credentials.txt`` (the operators' first passwords).

Secrets are never replaced behind the administrator's back: ``init --force`` keeps every
password and token of the center it overwrites unless told ``new_secrets``, and
:func:`issue_token` changes the token of one device only. center.toml is edited in place for
a token (one line changes, the administrator's comments and layout stay), and every file is
replaced atomically, so an interrupted command leaves the old file or the new one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from server import security
from server.reference import example_center
from wire.device import DeviceConfig, DeviceConfigError, DeviceRole, dump_device, load_device, server_url_for

from .check import CenterExists, ConfigError, Problem
from .model import DAYS, Center, Device, validate_center
from .reference import center_from_reference
from .toml import dump_center, load_center, parse_center

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_PUBLIC_URL",
    "DeviceRow",
    "InitResult",
    "TokenResult",
    "database_url",
    "default_home",
    "device_path",
    "init_center",
    "issue_token",
    "list_devices",
    "rewrite_device_file",
]

DEMO_PASSWORD = "novbe-demo"
"""The password of every operator made by ``init_center(..., demo=True)``. Published: never use
a demo configuration for a real hall."""

DEMO_PUBLIC_URL = "http://127.0.0.1:8080"
"""Where a demo center's citizens' pages are (``novbe web``'s default port, this machine)."""

DeviceKey = tuple[str, str]
"""(role, code) of a device, as in center.toml's ``[[devices]]``."""


def default_home() -> Path:
    """The center's folder when the command is given none: $NOVBE_HOME, else ``var``."""
    return Path(os.environ.get("NOVBE_HOME", "var"))


def database_url(home: Path, url: str | None) -> str:
    """The event log's URL: ``url`` (``--db``), else $NOVBE_DB, else the SQLite file
    ``novbe.db`` in the center's folder ``home``."""
    return url or os.environ.get("NOVBE_DB") or f"sqlite:///{(home / 'novbe.db').resolve()}"


def device_path(home: Path, role: str, code: str) -> Path:
    """Where a device's file lives in a center's folder."""
    return home / "devices" / f"{role}-{code}.toml"


def write_secret(path: Path, text: str) -> None:
    """Replace ``path`` with ``text``, readable by its owner only (mode 0600 whatever the umask),
    atomically: a reader sees the old file or the new one, never half of either."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def device_config(center: Center, role: DeviceRole, code: str, token: str, server_url: str) -> DeviceConfig:
    """The file of one device: its token, the server's URL and its hardware settings as
    center.toml gives them."""
    extra: dict[str, Any] = {}
    if role == "kiosk":
        kiosk = center.kiosk(code)
        extra = {"printer": kiosk.printer, "paper_mm": kiosk.paper_mm, "scanner": kiosk.scanner}
    elif role == "counter":
        counter = center.counter(int(code))
        # A board on a shared line is driven by the line's process, not by the counter.
        extra = {
            "counter": counter.number,
            "board": counter.board,
            "board_address": counter.board_address if counter.board else None,
            "scanner": counter.scanner,
        }
    elif role == "rating":
        extra = {"counter": center.counter(int(code)).number}
    elif role == "boards":
        extra = {"board": center.board_line(code).url, "boards": center.boards_on_line(code)}
    elif role == "display":
        display = center.display(code)
        extra = {
            "languages": display.languages,
            "volume": display.volume,
            "quiet_hours": display.quiet_hours,
            "screen_languages": display.screen_languages,
            "screen_mode": display.screen_mode,
            "screen_every_s": display.screen_every_s,
            "timezone": center.hours.timezone,
        }
    return DeviceConfig(
        role=role, code=code, server_url=server_url, token=token, lang=center.languages[0], **extra
    )


def _known_token(path: Path, token_sha256: str) -> str | None:
    """The token in clear from the device's file, if the file is there and holds the token
    center.toml has the hash of."""
    try:
        token = load_device(path).token
    except DeviceConfigError:
        return None
    return token if security.verify_token(token_sha256, token) else None


# ---------------------------------------------------------------------------------------------
# novbe init


@dataclass(frozen=True)
class InitResult:
    """What :func:`init_center` wrote."""

    center: Center
    center_path: Path
    credentials_path: Path
    device_paths: dict[DeviceKey, Path] = field(default_factory=dict)
    """(role, code) -> the device's file, for every file written."""
    passwords: dict[str, str] = field(default_factory=dict)
    """Operator login -> password in clear, as written to credentials.txt (new passwords, and
    kept ones that the previous credentials.txt still held)."""
    tokens: dict[DeviceKey, str] = field(default_factory=dict)
    """(role, code) -> device token in clear, as written to the device's file."""
    kept_passwords: tuple[str, ...] = ()
    """Logins whose password was kept from the center overwritten with ``force``."""
    kept_tokens: tuple[DeviceKey, ...] = ()
    """Devices whose token was kept from the center overwritten with ``force``."""
    not_here: tuple[DeviceKey, ...] = ()
    """Devices whose token was kept but whose file is not in devices/ (or holds another
    token): their file was not rewritten, and the copy on the device still works."""
    removed: tuple[DeviceKey, ...] = ()
    """Devices of the overwritten center that the new one does not have."""


def _example() -> dict[str, Any]:
    """The example center (server/centers/example.toml, the one docs/configuration.md shows)
    as a new center starts from it: its hall, hours, rules and routing. The example's machines
    are left out: its kiosk's printer and its number boards name ports of the example's PCs,
    and which ones a hall has is for its administrator to say. Its operators and devices are
    made anew, as for any center."""
    data = load_center(example_center()).model_dump(mode="json", exclude_none=True)
    data.pop("board_lines", None)
    for kiosk in data["kiosks"]:
        kiosk.pop("printer", None)
        kiosk.pop("scanner", None)
    for counter in data["counters"]:
        for key in ("board", "board_line", "board_address", "scanner"):
            counter.pop(key, None)
    return data


def _read_reference(path: Path) -> Center:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(str(path), [Problem("", f"cannot read: {exc.strerror or exc}")]) from exc
    except ValueError as exc:  # bad JSON, or not UTF-8
        raise ConfigError(str(path), [Problem("", f"not valid JSON: {exc}")]) from exc
    return center_from_reference(data, str(path))


def _previous(center_path: Path) -> Center:
    """The center ``init --force`` overwrites, whose secrets it keeps."""
    try:
        return load_center(center_path)
    except ConfigError as exc:
        first = exc.problems[0] if exc.problems else "unreadable"
        raise ConfigError(
            str(center_path),
            [
                Problem(
                    "",
                    f"cannot keep its passwords and tokens: the file is refused ({first}); fix it,"
                    " or give --new-secrets to make new ones for every operator and device",
                )
            ],
        ) from exc


def _hash_all(passwords: Mapping[str, str], demo: bool) -> dict[str, str]:
    hash_one = security.hash_demo_password if demo else security.hash_password
    logins = list(passwords)
    # argon2 holds the GIL off while it hashes, so hashing the passwords in a thread per
    # core divides the wait of `novbe init` by the number of cores.
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        return dict(zip(logins, pool.map(hash_one, [passwords[x] for x in logins]), strict=True))


def _old_credentials(path: Path, hashes: Mapping[str, str]) -> dict[str, str]:
    """Passwords of a previous credentials.txt that still match the kept hashes: handing
    them out is still to be done, so they are carried over rather than lost."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    for line in lines:
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("#") and parts[0] in hashes:
            found[parts[0]] = parts[1]
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        ok = pool.map(lambda item: security.verify_password(hashes[item[0]], item[1]), found.items())
        return {login: password for (login, password), good in zip(found.items(), ok, strict=True) if good}


_FIRST_NAMES = ("Aysel", "Rəşad", "Nigar", "Elvin", "Günel", "Tural", "Səbinə", "Orxan", "Leyla", "Kamran")
_INITIALS = ("M", "Ə", "H", "Q", "N", "S", "İ", "R", "C")


def demo_name(number: int) -> str:
    """The name a new center gives the operator of counter ``number`` until the administrator
    writes the real one: a person's name ("Aysel M."), the same in every language, where a
    made-up "Operator 12" would stand in English on the Azerbaijani and Russian screens.
    Different for the first 90 counters."""
    index = number - 1
    return (
        f"{_FIRST_NAMES[index % len(_FIRST_NAMES)]} {_INITIALS[index // len(_FIRST_NAMES) % len(_INITIALS)]}."
    )


def init_center(
    out_dir: Path,
    *,
    reference: Path | None,
    server_url: str | None = None,
    public_url: str | None = None,
    demo: bool = False,
    always_open: bool = False,
    force: bool = False,
    new_secrets: bool = False,
) -> InitResult:
    """Write a new center: ``center.toml``, one file per device in ``devices/`` and
    ``credentials.txt`` with the operators' passwords.

    Args:
        out_dir: Directory to write to; created if missing.
        reference: A reference center description (JSON) to convert; None for the small
            example center (server/centers/example.toml) without its printer and boards.
        server_url: The websocket URL the devices will connect to, written into center.toml
            and every device file. None: the overwritten center's, else ``ws://127.0.0.1:8765``.
        public_url: The address of the citizens' pages (``[public] base_url``, docs/phone.md),
            with a new ``secret`` for their tokens and a device file for ``novbe web``. None:
            the overwritten center's (its secret kept unless ``new_secrets``); for a demo
            :data:`DEMO_PUBLIC_URL`; else the center has no public pages.
        demo: Give every new operator the published password :data:`DEMO_PASSWORD`, and every
            kiosk without a printer the virtual printer ``virtual://OUT_DIR/tickets/CODE``.
        always_open: Open every day from 00:00 to 23:59 and issue tickets until closing (no
            ``last_ticket_margin_min``), so that a demo or a test works at any hour.
        force: Overwrite an existing center. Its operators' passwords and its devices' tokens
            are kept for every operator and device the new center still has.
        new_secrets: With ``force``: make new passwords and tokens for everyone instead.

    Operators: ``op<N>`` for each counter N, allowed at that counter only, and ``supervisor``.
    Devices: each kiosk, counter and display, each board line, the rating terminal of each
    counter, one supervisor desk, and with public pages the web process (``web 1``).

    Raises:
        CenterExists: ``out_dir/center.toml`` exists and ``force`` is False (a ConfigError
            and a FileExistsError).
        ConfigError: The reference is unreadable or inconsistent, or the center to overwrite
            cannot be read to keep its secrets. Nothing was written.
        OSError: The folder cannot be written.
    """
    center_path = out_dir / "center.toml"
    previous: Center | None = None
    if center_path.exists():
        if not force:
            raise CenterExists(
                str(center_path), [Problem("", "already exists; refusing to overwrite it (use --force)")]
            )
        if not new_secrets:
            previous = _previous(center_path)
    if reference is not None:
        base = _read_reference(reference).model_dump(mode="json", exclude_none=True)
    else:
        base = _example()
    if always_open:
        base["hours"] = {**base.get("hours", {}), "open": "00:00", "close": "23:59", "days": list(DAYS)}
        base["rules"] = {**base.get("rules", {}), "last_ticket_margin_min": 0.0}
    url = server_url or (previous.server_url if previous else None) or server_url_for()
    base["server_url"] = url
    kept_public = previous.public if previous is not None else None
    public = public_url or (kept_public.base_url if kept_public else None)
    if public is None and demo:
        public = DEMO_PUBLIC_URL
    if public is not None:
        secret = kept_public.secret if kept_public is not None else security.new_token()
        base["public"] = {"base_url": public, "secret": secret}
    if demo:
        for kiosk in base.get("kiosks", []):
            kiosk.setdefault("printer", f"virtual://{(out_dir / 'tickets' / kiosk['code']).resolve()}")

    numbers: list[int] = [c["number"] for c in base["counters"]]
    operators: list[dict[str, Any]] = [
        {"login": "supervisor", "full_name": "Hall supervisor", "counters": [], "supervisor": True},
        *({"login": f"op{n}", "full_name": demo_name(n), "counters": [n]} for n in numbers),
    ]
    wanted: list[tuple[DeviceRole, str]] = [
        *(("kiosk", str(k["code"])) for k in base.get("kiosks", [])),
        *(("counter", str(n)) for n in numbers),
        *(("display", str(d["code"])) for d in base.get("displays", [])),
        *(("boards", str(b["code"])) for b in base.get("board_lines", [])),
        *(("rating", str(n)) for n in numbers),
        ("supervisor", "1"),
    ]
    if public is not None:
        wanted.append(("web", "1"))
    old_hashes: dict[str, str] = {}
    old_tokens: dict[DeviceKey, str] = {}
    if previous is not None:
        # Operators and supervisor desks someone added by hand stay, where they still fit.
        made = {o["login"] for o in operators}
        for kept in previous.operators:
            if kept.login not in made and all(n in numbers for n in kept.counters):
                operators.append(kept.model_dump(mode="json", exclude={"password_hash"}))
        wanted += [
            ("supervisor", d.code) for d in previous.devices if d.role == "supervisor" and d.code != "1"
        ]
        logins = {o["login"] for o in operators}
        old_hashes = {o.login: o.password_hash for o in previous.operators if o.login in logins}
        old_tokens = {
            (d.role, d.code): d.token_sha256 for d in previous.devices if (d.role, d.code) in wanted
        }

    fresh = {
        o["login"]: DEMO_PASSWORD if demo else security.new_password()
        for o in operators
        if o["login"] not in old_hashes
    }
    hashes = {**old_hashes, **_hash_all(fresh, demo)}
    for op in operators:
        op["password_hash"] = hashes[op["login"]]
    base["operators"] = operators

    tokens: dict[DeviceKey, str] = {}
    not_here: list[DeviceKey] = []
    token_hashes: dict[DeviceKey, str] = {}
    for key in wanted:
        if key in old_tokens:
            token_hashes[key] = old_tokens[key]
            known = _known_token(device_path(out_dir, *key), old_tokens[key])
            if known is None:
                not_here.append(key)
            else:
                tokens[key] = known
        else:
            tokens[key] = security.new_token()
            token_hashes[key] = security.hash_token(tokens[key])
    base["devices"] = [
        {"role": role, "code": code, "token_sha256": token_hashes[role, code]} for role, code in wanted
    ]
    center = validate_center(base, str(center_path))

    # Everything is checked; from here on only writing.
    out_dir.mkdir(parents=True, exist_ok=True)
    devices_dir = out_dir / "devices"
    devices_dir.mkdir(mode=0o700, exist_ok=True)
    credentials_path = out_dir / "credentials.txt"
    passwords = {**_old_credentials(credentials_path, old_hashes), **fresh} if old_hashes else fresh
    write_secret(center_path, dump_center(center))
    device_paths: dict[DeviceKey, Path] = {}
    for role, code in wanted:
        if (role, code) in tokens:
            path = device_path(out_dir, role, code)
            write_secret(path, dump_device(device_config(center, role, code, tokens[role, code], url)))
            device_paths[role, code] = path
    # Files of devices that are gone, or that hold a token center.toml no longer has.
    for old in devices_dir.glob("*.toml"):
        if old not in device_paths.values():
            old.unlink()
    write_secret(credentials_path, _credentials_text(center, passwords, demo))
    removed = sorted({(d.role, d.code) for d in previous.devices} - set(wanted)) if previous else []
    return InitResult(
        center=center,
        center_path=center_path,
        credentials_path=credentials_path,
        device_paths=device_paths,
        passwords=passwords,
        tokens=tokens,
        kept_passwords=tuple(old_hashes),
        kept_tokens=tuple(old_tokens),
        not_here=tuple(not_here),
        removed=tuple(removed),
    )


def _credentials_text(center: Center, passwords: Mapping[str, str], demo: bool) -> str:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = [
        f"# novbe operators of {center.code} ({center.name.en}), written {stamp}.",
        "# center.toml keeps only argon2 hashes of these passwords. Hand each operator their",
        "# password, then delete this file. Device tokens are in devices/*.toml.",
    ]
    kept = any(op.login not in passwords for op in center.operators)
    if demo:
        which = "every new password" if kept else "every password"
        lines.append(f'# DEMO: {which} is "{DEMO_PASSWORD}". Never run a real hall with it.')
    if kept:
        lines.append("# (kept): the operator keeps the password they had; it is not known here.")
    lines += ["", f"{'login':<12} {'password':<20} counters"]
    for op in center.operators:
        where = "any (supervisor)" if op.supervisor else ", ".join(map(str, op.counters)) or "any"
        lines.append(f"{op.login:<12} {passwords.get(op.login, '(kept)'):<20} {where}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# novbe device


@dataclass(frozen=True)
class DeviceRow:
    """One device of a center, for ``novbe device list``."""

    role: str
    code: str
    path: Path
    state: Literal["ok", "no token", "no file", "unreadable", "other token"]
    """``ok``: the file is there and holds the token center.toml has the hash of; ``no token``:
    center.toml lists no token for this kiosk, counter, display or rating terminal, so it
    cannot connect;
    ``no file``: not in devices/ (copied to its machine and removed, perhaps); ``unreadable``:
    the file is wrong; ``other token``: the file holds a token center.toml doesn't know."""
    server_url: str | None = None
    """The URL in the device's file."""


def list_devices(home: Path) -> list[DeviceRow]:
    """Every device center.toml lists, and every kiosk, counter, display and counter's rating
    terminal it has no token for, with the state of its file.

    Raises:
        ConfigError: center.toml is missing or wrong.
    """
    center = load_center(home / "center.toml")
    listed: dict[DeviceKey, Device] = {(d.role, d.code): d for d in center.devices}
    every: list[DeviceKey] = [
        *(("kiosk", k.code) for k in center.kiosks),
        *(("counter", str(c.number)) for c in center.counters),
        *(("display", d.code) for d in center.displays),
        *(("rating", str(c.number)) for c in center.counters),
    ]
    every += [key for key in listed if key not in every]
    rows = []
    for role, code in every:
        path = device_path(home, role, code)
        device = listed.get((role, code))
        if device is None:
            rows.append(DeviceRow(role, code, path, "no token"))
            continue
        if not path.exists():
            rows.append(DeviceRow(role, code, path, "no file"))
            continue
        try:
            config = load_device(path)
        except DeviceConfigError:
            rows.append(DeviceRow(role, code, path, "unreadable"))
            continue
        good = security.verify_token(device.token_sha256, config.token)
        rows.append(DeviceRow(role, code, path, "ok" if good else "other token", config.server_url))
    return rows


@dataclass(frozen=True)
class TokenResult:
    """What :func:`issue_token` or :func:`rewrite_device_file` did."""

    path: Path
    """The device's file, written."""
    server_url: str
    issued: bool
    """True: the device had no token before; False: its token was replaced (or, for
    :func:`rewrite_device_file`, kept)."""


def _target(center: Center, path: Path, role: str, code: str) -> DeviceRole:
    """Check that center.toml describes the device; return its role."""
    if role == "supervisor":
        return "supervisor"  # a supervisor's desk is not in the hall's plan: any name will do
    if role == "web":
        if center.public is None:
            raise ConfigError(
                str(path), [Problem("", "has no [public] section: the web pages need its base_url first")]
            )
        return "web"
    places: dict[str, tuple[DeviceRole, str, list[str]]] = {
        "kiosk": ("kiosk", "[[kiosks]]", [k.code for k in center.kiosks]),
        "counter": ("counter", "[[counters]]", [str(c.number) for c in center.counters]),
        "rating": ("rating", "[[counters]]", [str(c.number) for c in center.counters]),
        "display": ("display", "[[displays]]", [d.code for d in center.displays]),
        "boards": ("boards", "[[board_lines]]", [b.code for b in center.board_lines]),
    }
    if role not in places:
        raise ConfigError(str(path), [Problem("", f'"{role}" is not a device role')])
    device_role, table, codes = places[role]
    if code not in codes:
        what = f"counter {code} for a rating terminal" if role == "rating" else f"{role} {code}"
        raise ConfigError(str(path), [Problem("", f"there is no {what}; add it under {table} first")])
    return device_role


def _url_for(center: Center, home: Path, server_url: str | None, role: str, code: str) -> str:
    if server_url or center.server_url:
        return server_url or center.server_url or ""
    # A center made before center.toml said where the server is: keep the device's own URL.
    try:
        return load_device(device_path(home, role, code)).server_url
    except DeviceConfigError:
        raise ConfigError(
            str(home / "center.toml"),
            [Problem("", "has no server_url, so the device's URL is not known; give --server-url")],
        ) from None


def issue_token(home: Path, role: str, code: str, *, server_url: str | None = None) -> TokenResult:
    """Give one device a new token: its hash into center.toml (a ``[[devices]]`` entry is
    added if the device has none), the token into the device's file, which is rewritten
    from center.toml's settings. No other device's token changes. The server reads
    center.toml at start: restart it for the new token to count.

    Raises:
        ConfigError: center.toml is missing or wrong, or has no such kiosk, counter, display,
            board line or counter for a rating terminal.
    """
    center_path = home / "center.toml"
    center = load_center(center_path)
    device_role = _target(center, home / "center.toml", role, code)
    url = _url_for(center, home, server_url, role, code)
    token = security.new_token()
    digest = security.hash_token(token)
    text = center_path.read_text(encoding="utf-8")
    try:
        old = center.device(role, code)
    except KeyError:
        old = None
    if old is None:
        entry = f'\n[[devices]]\nrole = "{role}"\ncode = "{code}"\ntoken_sha256 = "{digest}"\n'
        text = text.rstrip("\n") + "\n" + entry
    else:
        if text.count(old.token_sha256) != 1:
            raise ConfigError(
                str(center_path),
                [Problem("", f"the token hash of {role} {code} is not written once; replace it by hand")],
            )
        text = text.replace(old.token_sha256, digest)
    # Check the edited file as the server will read it before anything is written.
    edited = parse_center(text, str(center_path))
    path = device_path(home, role, code)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    write_secret(path, dump_device(device_config(edited, device_role, code, token, url)))
    write_secret(center_path, text)
    return TokenResult(path, url, issued=old is None)


def rewrite_device_file(home: Path, role: str, code: str, *, server_url: str | None = None) -> TokenResult:
    """Write a device's file again from center.toml (its printer, board, volume, the server's
    URL), keeping the token it holds.

    Raises:
        ConfigError: center.toml is missing or wrong, has no such device, or the device's
            file is missing or holds another token (then :func:`issue_token` is the way).
    """
    center = load_center(home / "center.toml")
    device_role = _target(center, home / "center.toml", role, code)
    path = device_path(home, role, code)
    try:
        device = center.device(role, code)
    except KeyError:
        device = None
    token = _known_token(path, device.token_sha256) if device else None
    if device is None or token is None:
        raise ConfigError(
            str(path),
            [
                Problem(
                    "",
                    f"no file holding the token of {role} {code}; give it a new one with novbe device token",
                )
            ],
        )
    url = _url_for(center, home, server_url, role, code)
    write_secret(path, dump_device(device_config(center, device_role, code, token, url)))
    return TokenResult(path, url, issued=False)
