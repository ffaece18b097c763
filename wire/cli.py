"""What every ``novbe`` command shares: argument types, how a user's mistake is answered, and
the JSON-lines log of the long-running ones (:class:`JsonLines`).

A mistake at the command line (a missing or unreadable file, a bad URL, a port already taken,
the wrong folder) is raised as :exc:`UsageError` wherever it is found, and :func:`run` turns
it into one line on stderr, naming the problem and the fix, and exit status 2. Every
command's ``main`` runs under it (:func:`command`), so no command prints a traceback for a
mistake of the person who typed it.
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec

if TYPE_CHECKING:
    from wire.device import DeviceConfig, DeviceRole

__all__ = [
    "USAGE_ERROR",
    "JsonLines",
    "UsageError",
    "command",
    "device_file",
    "need_screen",
    "port",
    "position",
    "run",
    "size",
]

_P = ParamSpec("_P")

USAGE_ERROR = 2
"""Exit status of a command refused because of the user's mistake (as argparse's own)."""


class UsageError(Exception):
    """The person at the command line asked for something that cannot work as given.

    ``str()`` is the problem, then what to do about it: ``port 8765 on 127.0.0.1 is already
    in use; stop the program using it, or give another --port``.
    """

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem, fix)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem}; {self.fix}" if self.fix else self.problem


def run(prog: str, command: Callable[[], int]) -> int:
    """Run a command's body and return its exit status.

    A :exc:`UsageError` becomes ``PROG: problem; fix`` on stderr and status 2; Ctrl+C ends
    the command quietly with status 130, as a shell reports it.
    """
    try:
        return command()
    except UsageError as exc:
        sys.stderr.write(f"{prog}: {exc}\n")
        return USAGE_ERROR
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130
    except BrokenPipeError:
        # The reader went away (`novbe device list | head`): nothing more to say to it. Python
        # would complain again when flushing stdout at exit, so point it at /dev/null.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


def command(prog: str) -> Callable[[Callable[_P, int]], Callable[_P, int]]:
    """Make a command's ``main`` answer a :exc:`UsageError` as :func:`run` does, whoever
    calls it: the ``novbe`` command, ``python -m``, or a test."""

    def wrap(main: Callable[_P, int]) -> Callable[_P, int]:
        @functools.wraps(main)
        def guarded(*args: _P.args, **kwargs: _P.kwargs) -> int:
            return run(prog, lambda: main(*args, **kwargs))

        return guarded

    return wrap


def device_file(path: Path, role: DeviceRole) -> DeviceConfig:
    """Read the device file an app was started with, and check it is this app's.

    Raises:
        UsageError: The file is missing, unreadable or wrong, or belongs to another role.
    """
    from wire.device import DeviceConfigError, load_device

    wanted = f"devices/{role}-CODE.toml"
    try:
        config = load_device(path)
    except DeviceConfigError as exc:
        raise UsageError(
            "; ".join(str(exc).splitlines()),
            f"give --device the file of {_WHO[role]}, as novbe init wrote it ({wanted})",
        ) from None
    if config.role != role:
        raise UsageError(
            f"{path} is the file of {_WHO[config.role]}, not of {_WHO[role]}",
            f"give --device the file of {_WHO[role]} ({wanted})",
        )
    return config


_WHO: dict[str, str] = {
    "kiosk": "a kiosk",
    "counter": "a counter",
    "display": "a display",
    "boards": "a board line",
    "supervisor": "a supervisor's desk",
    "web": "the citizens' pages (novbe web)",
    "rating": "a rating terminal",
}


def need_screen() -> None:
    """Refuse to start a window where there is no screen for it.

    Without a display Qt aborts the process with a core dump and several lines about
    platform plugins; this says what is wrong instead.

    Raises:
        UsageError: On Linux, with no X11 or Wayland display and no Qt platform chosen.
    """
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return
    raise UsageError(
        "there is no screen to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set)",
        "start it in the machine's desktop session, or set QT_QPA_PLATFORM=offscreen to run it without one",
    )


def port(text: str) -> int:
    """A TCP port number, 0-65535 (0: any free port)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'a port is a number from 0 to 65535, not "{text}"') from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, not {value}")
    return value


def seconds(text: str) -> float:
    """A time in seconds, more than 0 and at most a day."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'a time is a number of seconds, like 10 or 2.5, not "{text}"'
        ) from None
    if not 0 < value <= 86400:
        raise argparse.ArgumentTypeError(f"a time is more than 0 and at most 86400 seconds, not {text}")
    return value


def size(text: str) -> tuple[int, int]:
    """``WIDTHxHEIGHT`` (``1920x1080``) as a pair of ints; argparse's error otherwise."""
    m = re.fullmatch(r"(\d{2,5})x(\d{2,5})", text.strip().lower())
    if m is None:
        raise argparse.ArgumentTypeError(f'a size is WIDTHxHEIGHT, like 1920x1080, not "{text}"')
    return int(m.group(1)), int(m.group(2))


def position(text: str) -> tuple[int, int]:
    """``X,Y`` (``0,0`` is the top left of the screen) as a pair of ints."""
    m = re.fullmatch(r"(-?\d{1,5}),(-?\d{1,5})", text.strip())
    if m is None:
        raise argparse.ArgumentTypeError(f'a position is X,Y, like 0,0 or 560,40, not "{text}"')
    return int(m.group(1)), int(m.group(2))


class JsonLines(logging.Formatter):
    """One JSON object per line: easy to grep, easy to ship to a log collector
    (docs/operations.md, "Logs"). A message that is a JSON object gives its fields."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        try:
            fields = json.loads(message) if message.startswith("{") else {"msg": message}
        except ValueError:
            fields = {"msg": message}
        line = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            **fields,
        }
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)
