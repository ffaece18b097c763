"""A reference center description (JSON, like ``server/centers/baku1.json``) as a Center.

The reference describes a hall as planners do (with its sizing figures and a day of work);
:func:`center_from_reference` keeps what a center file holds, checked like one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wire.device import format_loc
from wire.types import LANGS

from .check import ConfigError, Loc, Problem
from .model import DAYS, Center, validate_center


def center_from_reference(data: object, source: str = "reference") -> Center:
    """Convert a reference center description (server/centers/baku1.json).

    The reference has no operators and no devices. A kiosk keeps the reference's ``printer``,
    or has none. Sizing figures (``peak_offered_erlangs``, agencies' ``counters``) are
    derived data and dropped.

    Args:
        data: The parsed JSON.
        source: What to call it in error messages (the file's name).

    Raises:
        ConfigError: The description is not one, or is incomplete or inconsistent.
    """
    problems: list[Problem] = []

    def table(parent: Mapping[str, Any], key: str, where: Loc) -> Mapping[str, Any]:
        value = parent.get(key, {})
        if isinstance(value, Mapping):
            return value
        problems.append(Problem(format_loc((*where, key)), f"must be an object, got {_json_type(value)}"))
        return {}

    def items(parent: Mapping[str, Any], key: str, where: Loc = ()) -> list[Mapping[str, Any]]:
        value = parent.get(key, [])
        if not isinstance(value, list):
            problems.append(Problem(format_loc((*where, key)), f"must be a list, got {_json_type(value)}"))
            return []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                problems.append(
                    Problem(format_loc((*where, key, i)), f"must be an object, got {_json_type(item)}")
                )
        return [item for item in value if isinstance(item, Mapping)]

    if not isinstance(data, Mapping):
        raise ConfigError(
            source,
            [
                Problem(
                    "",
                    f"not a center description: expected a JSON object with center, zones, agencies"
                    f" and counters, got {_json_type(data)}",
                )
            ],
        )
    info = table(data, "center", ())
    agencies = items(data, "agencies")
    raw: dict[str, Any] = {
        "code": info.get("code"),
        "name": info.get("name"),
        "languages": info.get("languages", list(LANGS)),
        "hours": {
            "open": info.get("open", "09:00"),
            "close": info.get("close", "19:00"),
            "days": info.get("days", list(DAYS[:6])),
            "timezone": info.get("timezone", "Asia/Baku"),
        },
        "zones": [{"code": z.get("code"), "name": z.get("name")} for z in items(data, "zones")],
        "agencies": [
            {
                "code": a.get("code"),
                "prefix": a.get("prefix"),
                "zone": a.get("zone"),
                "name": a.get("name"),
                "services": [
                    {k: s[k] for k in ("code", "name", "mean_service_min", "share", "prefix") if k in s}
                    for s in items(a, "services", ("agencies", i))
                ],
            }
            for i, a in enumerate(agencies)
        ],
        "counters": [
            {
                k: c[k]
                for k in ("number", "zone", "agency", "services", "board", "board_line", "board_address")
                if k in c
            }
            for c in items(data, "counters")
        ],
        "board_lines": [{"code": b.get("code"), "url": b.get("url")} for b in items(data, "board_lines")],
        "displays": [{"code": d.get("code"), "zones": d.get("zones")} for d in items(data, "displays")],
        "kiosks": [
            {k: v for k in ("code", "zone", "printer", "paper_mm") if (v := k_.get(k)) is not None}
            for k_ in items(data, "kiosks")
        ],
    }
    if problems:
        raise ConfigError(source, problems)
    if "workload" in data:
        raw["workload"] = data["workload"]
    return validate_center(raw, source)


def _json_type(value: object) -> str:
    """What a JSON value is, in JSON's words: "a list", "a number"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"
