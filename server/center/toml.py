"""A center file as TOML: reading ``center.toml`` (every problem at once, with its line) and
writing it in the order a person reads it, with a note over each section."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w

from .check import ConfigError, Problem
from .model import Center, validate_center


def load_center(path: Path) -> Center:
    """Read and check a center.toml.

    Raises:
        ConfigError: The file cannot be read, is not TOML, or breaks any rule; the message
            lists every problem found.
    """
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(source, [Problem("", f"cannot read: {exc.strerror or exc}")]) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [Problem("", f"not UTF-8 text: {exc}")]) from exc
    return parse_center(text, source)


def parse_center(text: str, source: str) -> Center:
    """Check the text of a center.toml, as :func:`load_center` does for a file.

    Raises:
        ConfigError: The text is not TOML, or breaks any rule.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [Problem("", f"not valid TOML: {exc}")]) from exc
    return validate_center(data, source, text)


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    # tomli_w knows TOML's escaping and float spelling; borrow it for one scalar.
    return tomli_w.dumps({"v": value}).removeprefix("v = ").rstrip("\n")


def _emit(lines: list[str], header: str, item: Mapping[str, Any], nested: str | None = None) -> None:
    lines.append(header)
    for key, value in item.items():
        if key != nested and value is not None:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")


_SECTION_NOTES = {
    "zones": "Zones: parts of the hall (floors). Every counter, display and kiosk is in one.",
    "agencies": "Agencies and their services. Services share the agency's ticket prefix unless they set one.",
    "counters": "Counters: services = list (weight 1 each) or { code = weight }; policy overrides [routing].",
    "board_lines": "Board lines: serial lines shared by counters' number boards; novbe boards drives each.",
    "displays": "Displays: zones, spoken languages, volume 0-100, quiet hours (no speech), screen languages.",
    "kiosks": "Kiosks: printer URL (serial://, usb://, tcp://, file://; virtual:// in demos); paper 80/58.",
    "operators": "Operators: argon2 password hashes; counters = [] means any counter.",
    "devices": "Devices: SHA-256 of each device's token; the token itself is in the device's own file.",
}


def dump_center(center: Center) -> str:
    """The TOML text of ``center``, in the order a person reads it; :func:`load_center` of the
    text gives back an equal Center."""
    return format_center_data(center.model_dump(mode="json", exclude_none=True))


def format_center_data(data: Mapping[str, Any]) -> str:
    """The TOML text of raw center data (as in center.toml), in the file's usual layout.

    Unlike :func:`dump_center` it takes data that may be wrong, for tools that edit a center
    file and then check it with :func:`load_center`. Keys it does not know go at the end.
    """
    name = data.get("name")
    title = name.get("en") if isinstance(name, dict) else None
    lines = [
        f"# novbe center configuration: {title or '(no name)'} ({data.get('code', '?')}).",
        "# Every field is described in docs/configuration.md.",
        "",
    ]
    done = {"workload"}
    for key in ("code", "name", "languages", "server_url"):
        if key in data:
            lines.append(f"{key} = {_toml_value(data[key])}")
            done.add(key)
    for key in ("hours", "rules", "routing", "public"):
        if isinstance(data.get(key), dict):
            lines.append("")
            _emit(lines, f"[{key}]", data[key])
            done.add(key)
    for key in ("zones", "agencies", "counters", "board_lines", "displays", "kiosks", "operators", "devices"):
        items = data.get(key)
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            continue
        done.add(key)
        if not items:
            continue
        lines += ["", f"# {_SECTION_NOTES[key]}"]
        for item in items:
            item = dict(item)
            lines.append("")
            services = item.get("services")
            if key == "counters" and isinstance(services, dict) and all(w == 1.0 for w in services.values()):
                item["services"] = list(services)
            # Defaults left out keep the file short; they load back to the same values.
            for empty in ("policy", "quiet_hours"):
                if not item.get(empty, True):
                    del item[empty]
            if key == "operators" and item.get("supervisor") is False:
                del item["supervisor"]
            nested = (
                key == "agencies"
                and isinstance(services, list)
                and all(isinstance(s, dict) for s in services)
            )
            _emit(lines, f"[[{key}]]", item, nested="services" if nested else None)
            if nested and isinstance(services, list):
                for service in services:
                    lines.append("")
                    _emit(lines, "[[agencies.services]]", service)
    rest = {k: v for k, v in data.items() if k not in done}
    if rest:
        lines += ["", tomli_w.dumps(rest).rstrip("\n")]
    workload = data.get("workload")
    if workload is not None:
        lines += ["", "# The reference day of work, for the simulator.", ""]
        lines.append(tomli_w.dumps({"workload": workload}).rstrip("\n"))
    return "\n".join(lines) + "\n"
