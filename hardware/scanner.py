"""
A QR and barcode scanner on a serial port: each code it reads arrives as one line.

Scanners at a counter come in two kinds. A *keyboard wedge* types what it reads, as if on
the keyboard, followed by Enter: the counter app needs nothing but a focused text field. A
*serial* scanner (USB CDC-ACM, ``/dev/ttyACM0``, or RS-232) sends the code followed by CR,
LF or both: :class:`ScannerReader` reads those lines in a thread of its own and hands each
code to a callback. Its URL is a board URL's (``serial:///dev/ttyACM0?baudrate=9600``,
``socket://``, ``rfc2217://``, ``loop://``; :func:`hardware.board.parse_board_url`): the
same pyserial port settings, without the frame options.

A scanner unplugged while the app runs is reported once (``offline``) and the port is
opened again every ``RETRY_SECONDS`` until it is back (``ok``). The callbacks run in the
reader's thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import serial

from .board import parse_board_url

__all__ = ["RETRY_SECONDS", "ScannerReader", "split_codes"]

log = logging.getLogger(__name__)

RETRY_SECONDS = 2.0
"""How long the reader waits before opening a failed port again."""

MAX_CODE = 512
"""A line longer than this many bytes is not a code (a scanner sending noise, a wrong baud
rate): it is dropped."""

Status = Callable[[str, str | None], None]
"""``status(state, detail)``: ``ok`` when the port opens, ``offline`` when it fails."""


def split_codes(buffer: bytes) -> tuple[list[str], bytes]:
    """The complete lines in ``buffer`` (CR, LF or CRLF ended) as codes, and the rest.

    Empty lines are skipped; bytes that are not UTF-8 are replaced, so a code with a bad byte
    reaches the app and is refused there with the code shown, instead of vanishing.
    """
    codes: list[str] = []
    rest = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    *lines, rest = rest.split(b"\n")
    for line in lines:
        text = line.decode("utf-8", "replace").strip()
        if text and len(line) <= MAX_CODE:
            codes.append(text)
    if len(rest) > MAX_CODE:
        rest = b""
    return codes, rest


class ScannerReader:
    """Reads the codes of a serial scanner in a thread of its own.

    Args:
        url: the scanner's URL from the device file.
        on_code: called with each code read (in the reader's thread).
        on_status: called with ``ok`` or ``offline`` and a detail at each change.

    Raises:
        ValueError: If ``url`` is not a serial URL (a bad option, no device path).
    """

    def __init__(self, url: str, on_code: Callable[[str], None], on_status: Status | None = None) -> None:
        self.url = url
        self._port_url, self._settings, _frame, _line = parse_board_url(url)
        self._on_code = on_code
        self._on_status = on_status or (lambda _state, _detail: None)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.status: str | None = None
        """``ok`` or ``offline`` once known."""

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"scanner {self.url}", daemon=True)
            self._thread.start()

    def close(self, timeout: float = 2.0) -> None:
        """Stop reading and close the port."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _report(self, state: str, detail: str | None) -> None:
        if state != self.status:
            self.status = state
            self._on_status(state, detail)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                port = serial.serial_for_url(
                    self._port_url,
                    baudrate=self._settings.baudrate,
                    bytesize=self._settings.bytesize,
                    parity=self._settings.parity,
                    stopbits=self._settings.stopbits,
                    timeout=0.2,
                    **self._settings.extra,
                )
            except (serial.SerialException, OSError, ValueError) as exc:
                self._report("offline", f"can't open the scanner: {exc}")
                self._stop.wait(RETRY_SECONDS)
                continue
            self._report("ok", None)
            try:
                self._read(port)
            except (serial.SerialException, OSError) as exc:
                log.info("scanner %s failed (%s); opening it again", self.url, exc)
                self._report("offline", f"the scanner stopped answering: {exc}")
                self._stop.wait(RETRY_SECONDS)
            finally:
                port.close()

    def _read(self, port: serial.SerialBase) -> None:
        buffer = b""
        while not self._stop.is_set():
            chunk = port.read(max(1, port.in_waiting))
            if not chunk:
                continue
            codes, buffer = split_codes(buffer + chunk)
            for code in codes:
                self._on_code(code)
