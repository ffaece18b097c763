"""The configuration of one center: ``center.toml``, and the folder that holds it.

* ``model``: the schema (zones, agencies, counters, displays, kiosks, operators, devices,
  hours, rules) and :func:`validate_center`;
* ``check``: the diagnostics, every problem of a file at once, each naming its place and line;
* ``toml``: reading a center file (:func:`load_center`) and writing one (:func:`dump_center`);
* ``reference``: a reference center description (JSON) converted to a center;
* ``provision``: ``novbe init`` (a new center's folder, from a reference or from the example
  center ``server/centers/example.toml``) and ``novbe device`` (its devices' tokens and files).

This package re-exports the names the rest of novbe uses; ``provision`` is imported by name.
docs/configuration.md documents every field.
"""

from __future__ import annotations

from .check import CenterExists, ConfigError, Problem
from .model import (
    DAYS,
    Agency,
    BoardLine,
    Center,
    Counter,
    Device,
    Display,
    Hours,
    Kiosk,
    Names,
    Operator,
    Public,
    Routing,
    RoutingOverride,
    Rules,
    Service,
    Zone,
    validate_center,
)
from .reference import center_from_reference
from .toml import dump_center, format_center_data, load_center, parse_center

__all__ = [
    "DAYS",
    "Agency",
    "BoardLine",
    "Center",
    "CenterExists",
    "ConfigError",
    "Counter",
    "Device",
    "Display",
    "Hours",
    "Kiosk",
    "Names",
    "Operator",
    "Problem",
    "Public",
    "Routing",
    "RoutingOverride",
    "Rules",
    "Service",
    "Zone",
    "center_from_reference",
    "dump_center",
    "format_center_data",
    "load_center",
    "parse_center",
    "validate_center",
]
