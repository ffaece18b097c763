"""
Ticket printers: open one from a URL, print tickets, ask for its status.

A printer is configured with a URL (see ``docs/hardware.md``)::

    serial:///dev/ttyUSB0?baudrate=115200&flow=rtscts
    usb://0x0416:0x5011
    tcp://192.168.1.50:9100
    file:///dev/usb/lp0
    virtual:///var/lib/novbe/tickets

:func:`open_printer` returns a :class:`TicketPrinter`. It doesn't touch the
device: the port is opened on the first :meth:`~TicketPrinter.status` or
:meth:`~TicketPrinter.print_ticket`, and again after any failure, so a kiosk
started before its printer was switched on recovers by itself.

A print is laid out into a python-escpos ``Dummy`` first and sent in one write;
nothing reaches the printer if the layout fails. Where the transport can read
(serial, network, USB) the printer's real-time status (``DLE EOT``) is checked
before the write and again after it. Every failure is raised as a subclass of
:exc:`~hardware.exceptions.PrinterError`; a print that returns did go out.

Each scheme has a transport class of its own (:data:`TRANSPORTS`, defined in
``hardware/transports.py``); the virtual printer, which draws tickets to PNG files
for the demo and the tests, is one of them (``hardware/virtual_printer.py``).

"""

from __future__ import annotations

import difflib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from escpos import capabilities
from escpos.printer import Dummy

from .exceptions import CoverOpen, PaperOut, PrinterError, PrinterUnavailable
from .layout import Layout, fit_layout, load_layout
from .receipts import print_ticket
from .ticket import TicketView
from .transports import (
    FileTransport,
    Job,
    NetworkTransport,
    PrinterConfig,
    PrinterStatus,
    SerialTransport,
    Transport,
    UsbTransport,
    decode_status,
)
from .virtual_printer import VirtualPrinter

__all__ = [
    "TRANSPORTS",
    "PrintResult",
    "PrinterConfig",
    "PrinterStatus",
    "TicketPrinter",
    "decode_status",
    "open_printer",
    "parse_printer_url",
    "profile_width",
]

log = logging.getLogger(__name__)

TRANSPORTS: dict[str, type[Transport]] = {
    "serial": SerialTransport,
    "usb": UsbTransport,
    "tcp": NetworkTransport,
    "file": FileTransport,
    "virtual": VirtualPrinter,
}
"""The transport class of each printer URL scheme."""

FONT_A_DOTS = 12
"""Width of a font A character cell in dots, for a profile that gives its width but no columns."""


@dataclass(frozen=True)
class PrintResult:
    """A ticket that went out to the printer."""

    number: str
    bytes_sent: int
    seconds: float
    status: PrinterStatus
    """Status after printing; ``PAPER_LOW`` is worth a warning to the supervisor."""
    text_lines: int
    raster_lines: int
    png_path: Path | None = None
    """The picture of the ticket, for the virtual printer."""


_INT_OPTIONS = {"baudrate", "bytesize", "stopbits", "port"}
_FLOAT_OPTIONS = {"timeout", "status_timeout"}


def parse_printer_url(url: str, *, timeout: float | None = None) -> PrinterConfig:
    """
    Parse a printer URL.

    Raises:
        ValueError: If the URL isn't one of the documented forms.

    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in TRANSPORTS:
        raise ValueError(f"printer URL {url!r}: scheme must be one of {', '.join(TRANSPORTS)}")
    query = {key: values[-1] for key, values in parse_qs(parts.query, keep_blank_values=True).items()}
    options: dict[str, Any] = {}
    for key, value in query.items():
        try:
            if key in _INT_OPTIONS:
                options[key] = int(value)
            elif key in _FLOAT_OPTIONS:
                options[key] = float(value)
            elif key in ("in_ep", "out_ep"):
                options[key] = int(value, 0)
            elif key == "check":
                options[key] = value.lower() not in ("0", "false", "no", "off")
            elif key == "simulate":
                options[key] = PrinterStatus(value)
            elif key == "profile":
                options[key] = _known_profile(value)
            elif key in ("flow", "parity", "layout"):
                options[key] = value
            else:
                raise ValueError(f"unknown option {key!r}")
        except ValueError as exc:
            raise ValueError(f"printer URL {url!r}: {key}={value!r}: {exc}") from None
    if timeout is not None and "timeout" not in options:
        options["timeout"] = timeout
    if options.get("flow", "none") not in ("none", "rtscts", "xonxoff", "dsrdtr"):
        raise ValueError(f"printer URL {url!r}: flow must be none, rtscts, xonxoff or dsrdtr")
    try:
        target, address = TRANSPORTS[scheme].parse_target(parts)
    except ValueError as exc:
        raise ValueError(f"printer URL {url!r}: {exc}") from None
    return PrinterConfig(url=url, scheme=scheme, target=target, **(options | address))


def _known_profile(name: str) -> str:
    known = sorted(capabilities.CAPABILITIES["profiles"])
    if name not in known:
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f'did you mean "{close[0]}"? ' if close else ""
        raise ValueError(f"unknown printer profile; {hint}python-escpos knows {', '.join(known)}")
    return name


def profile_width(profile: str | None) -> tuple[int, int] | None:
    """
    Return the printable width of a python-escpos profile: ``(dots, font A columns)``.

    ``None`` when the profile doesn't say (python-escpos's ``default`` profile).

    """
    data = capabilities.get_profile(profile).profile_data
    dots = data.get("media", {}).get("width", {}).get("pixels")
    if not isinstance(dots, int):
        return None
    columns = data.get("fonts", {}).get("0", {}).get("columns")
    return dots, columns if isinstance(columns, int) else dots // FONT_A_DOTS


class TicketPrinter:
    """
    One ticket printer.

    Thread-safe: calls are serialized, since a kiosk may ask for the status
    from a health timer while a ticket is printing.

    Args:
        config: The parsed printer URL.
        layout: The ticket layout; narrowed to the profile's printable width.
        transport: How the tickets reach the printer; by default the class
            :data:`TRANSPORTS` gives for the URL's scheme.

    """

    def __init__(self, config: PrinterConfig, layout: Layout, *, transport: Transport | None = None) -> None:
        self.config = config
        self.layout = self._fit(layout)
        """The layout, narrowed to the printable width of the printer's profile."""
        self.transport = transport if transport is not None else TRANSPORTS[config.scheme](config)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<TicketPrinter {self.config.url}>"

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API ----------------------------------------------------------

    @property
    def can_report_status(self) -> bool:
        """Whether :meth:`status` asks the device (serial, network, USB with ``check`` on)."""
        return self.transport.can_report_status

    def status(self) -> PrinterStatus:
        """
        Ask the printer for its state.

        Never raises for a device problem: a printer that can't be opened or
        doesn't answer is ``OFFLINE``; a transport that can't read is ``UNKNOWN``.

        """
        with self._lock:
            try:
                return self.transport.status()
            except PrinterError as exc:
                log.info("printer %s: %s", self.config.url, exc)
                self.transport.close(discard=True)
                return PrinterStatus.OFFLINE
            finally:
                self.transport.job_done()

    def print_ticket(self, view: TicketView, layout: Layout | None = None) -> PrintResult:
        """
        Print one ticket.

        Args:
            view: The ticket.
            layout: Overrides the printer's layout for this ticket.

        Returns:
            What was sent, and the status after printing.

        Raises:
            PrinterUnavailable: The printer can't be opened, is offline, or the write failed.
            PrinterTimeout: The printer didn't answer its status, or the write didn't finish in time.
            PaperOut: The paper roll is empty (before or right after printing).
            CoverOpen: The cover is open.
            LayoutError: The layout can't be drawn (nothing was sent).

        """
        started = time.perf_counter()
        chosen = self._fit(layout) if layout is not None else self.layout
        encoder = Dummy(profile=self.config.profile)
        stats = print_ticket(encoder, view, chosen)
        job = Job(data=encoder.output, name=view.ticket_id or view.number, layout=chosen)
        with self._lock:
            try:
                self._raise_for(self.transport.status())
                png_path = self.transport.send(job)
                after = self.transport.status()
                # The ticket may be cut short: paper or cover failing during the job.
                self._raise_for(after)
            except PrinterError:
                self.transport.close(discard=True)
                raise
            finally:
                self.transport.job_done()
        return PrintResult(
            number=view.number,
            bytes_sent=len(job.data),
            seconds=time.perf_counter() - started,
            status=after,
            text_lines=stats.text_lines,
            raster_lines=stats.raster_lines,
            png_path=png_path,
        )

    def close(self) -> None:
        """Close the device. The printer may be used again: it reopens on demand."""
        with self._lock:
            self.transport.close()

    # -- internals -----------------------------------------------------------

    def _fit(self, layout: Layout) -> Layout:
        # The profile knows the printer's printable width; a layout made for wider paper
        # would send images the printer cuts off or wraps (576 dots to a 512-dot TM-T88V).
        width = profile_width(self.config.profile)
        if width is None:
            return layout
        fitted = fit_layout(layout, dots=width[0], columns=width[1])
        if fitted is not layout:
            log.info(
                "printer %s: layout %s narrowed from %d to %d dots (%d columns) for profile %s",
                self.config.url,
                layout.name,
                layout.dots,
                fitted.dots,
                fitted.columns,
                self.config.profile,
            )
        return fitted

    def _raise_for(self, status: PrinterStatus) -> None:
        if status is PrinterStatus.PAPER_OUT:
            raise self.transport.error(PaperOut, "the printer is out of paper")
        if status is PrinterStatus.COVER_OPEN:
            raise self.transport.error(CoverOpen, "the printer's cover is open")
        if status is PrinterStatus.OFFLINE:
            raise self.transport.error(PrinterUnavailable, "the printer says it is offline")


def open_printer(
    url: str,
    *,
    paper_mm: int = 80,
    timeout: float = 5.0,
    layout: Layout | str | Path | None = None,
) -> TicketPrinter:
    """
    Configure a ticket printer from its URL.

    The device isn't opened here; see the module docstring.

    Args:
        url: ``serial://``, ``usb://``, ``tcp://``, ``file://`` or ``virtual://`` URL.
        paper_mm: 80 or 58; picks the shipped layout when ``layout`` isn't given.
        timeout: Seconds for opening and writing, unless the URL sets ``timeout``.
        layout: A loaded layout or a layout file; also settable as ``?layout=`` in the URL.

    Raises:
        ValueError: If the URL is malformed.
        LayoutError: If the layout file is invalid.

    """
    config = parse_printer_url(url, timeout=timeout)
    chosen = layout if isinstance(layout, Layout) else load_layout(layout or config.layout, paper_mm=paper_mm)
    return TicketPrinter(config, chosen)
