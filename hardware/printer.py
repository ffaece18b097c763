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

"""

from __future__ import annotations

import difflib
import enum
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import serial
from escpos import capabilities
from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import Dummy, File, Network, Serial, Usb

from .exceptions import CoverOpen, PaperOut, PrinterError, PrinterTimeout, PrinterUnavailable
from .layout import Layout, fit_layout, load_layout
from .receipts import print_ticket
from .render import PaperStyle, render_job
from .text import python_codec
from .ticket import TicketView

__all__ = [
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

DLE_EOT = b"\x10\x04"
SCHEMES = ("serial", "usb", "tcp", "file", "virtual")
FONT_A_DOTS = 12
"""Width of a font A character cell in dots, for a profile that gives its width but no columns."""


class PrinterStatus(enum.Enum):
    """What a printer says about itself."""

    OK = "ok"
    PAPER_LOW = "paper_low"
    """The near-end sensor sees the end of the roll: printing still works."""
    PAPER_OUT = "paper_out"
    COVER_OPEN = "cover_open"
    OFFLINE = "offline"
    """Can't be opened, doesn't answer, or says it is offline."""
    UNKNOWN = "unknown"
    """The transport can't read (device file, printers configured with ``check=0``)."""


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


@dataclass(frozen=True)
class PrinterConfig:
    """A parsed printer URL."""

    url: str
    scheme: str
    target: str
    """Device path, host, ``vendor:product`` or directory."""
    port: int = 9100
    baudrate: int = 9600
    flow: str = "none"
    bytesize: int = 8
    parity: str = "N"
    stopbits: int = 1
    timeout: float = 5.0
    """Seconds allowed to open the device and for writes (plus the transfer time at the baud rate)."""
    status_timeout: float = 0.3
    """Seconds to wait for each status byte. A silent serial printer costs this much per query."""
    check: bool = True
    """Query the status before and after printing, where the transport can."""
    profile: str | None = None
    """python-escpos printer profile: gives the code page slots and paper width."""
    layout: str | None = None
    in_ep: int = 0x82
    out_ep: int = 0x01
    simulate: PrinterStatus = PrinterStatus.OK
    """Virtual printer only: the status it pretends to have (for demos of error screens)."""
    extra: dict[str, str] = field(default_factory=dict)


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
    if scheme not in SCHEMES:
        raise ValueError(f"printer URL {url!r}: scheme must be one of {', '.join(SCHEMES)}")
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
    if scheme == "tcp":
        if not parts.hostname:
            raise ValueError(f"printer URL {url!r}: no host")
        target = parts.hostname
        if parts.port:
            options["port"] = parts.port
    elif scheme == "usb":
        target = parts.netloc
        if not re.fullmatch(r"(0x)?[0-9a-fA-F]{1,4}:(0x)?[0-9a-fA-F]{1,4}", target):
            raise ValueError(
                f"printer URL {url!r}: expected usb://VENDOR:PRODUCT in hex, e.g. usb://0x0416:0x5011"
            )
    else:
        target = unquote(parts.netloc + parts.path)
        if not target:
            raise ValueError(f"printer URL {url!r}: no path")
    return PrinterConfig(url=url, scheme=scheme, target=target, **options)


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


def decode_status(online: int, offline_cause: int | None, paper: int | None) -> PrinterStatus:
    """
    Map the bytes a printer answers to ``DLE EOT 1``, ``2`` and ``4`` to a status.

    Bits follow the ESC/POS manual: in answer 1, bit 3 is "offline"; in answer 2,
    bit 2 is "cover open" and bit 5 "stopped by paper end"; in answer 4, bits 2-3
    are "near end" and bits 5-6 "paper end".

    """
    if online & 0x08:
        if offline_cause is not None and offline_cause & 0x04:
            return PrinterStatus.COVER_OPEN
        if (offline_cause is not None and offline_cause & 0x20) or (paper is not None and paper & 0x60):
            return PrinterStatus.PAPER_OUT
        return PrinterStatus.OFFLINE
    if paper is not None and paper & 0x60:
        return PrinterStatus.PAPER_OUT
    if paper is not None and paper & 0x0C:
        return PrinterStatus.PAPER_LOW
    return PrinterStatus.OK


def _valid_status_byte(value: int) -> bool:
    # Every status answer has bits 1 and 4 set and bits 0 and 7 clear.
    return value & 0x93 == 0x12


def _usb_errors() -> tuple[type[BaseException], ...]:
    try:
        import usb.core
    except ImportError:
        return ()
    return (usb.core.USBError, usb.core.NoBackendError)


class TicketPrinter:
    """
    One ticket printer.

    Thread-safe: calls are serialized, since a kiosk may ask for the status
    from a health timer while a ticket is printing.

    """

    def __init__(self, config: PrinterConfig, layout: Layout) -> None:
        self.config = config
        self.layout = self._fit(layout)
        """The layout, narrowed to the printable width of the printer's profile."""
        self._device: Escpos | None = None
        self._lock = threading.Lock()
        self._count = 0

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
        return self.config.check and self.config.scheme in ("serial", "tcp", "usb")

    def status(self) -> PrinterStatus:
        """
        Ask the printer for its state.

        Never raises for a device problem: a printer that can't be opened or
        doesn't answer is ``OFFLINE``; a transport that can't read is ``UNKNOWN``.

        """
        with self._lock:
            if self.config.scheme == "virtual":
                return self.config.simulate
            if not self.can_report_status:
                return PrinterStatus.UNKNOWN
            try:
                self._open()
                return self._probe()
            except PrinterError as exc:
                log.info("printer %s: %s", self.config.url, exc)
                self._drop()
                return PrinterStatus.OFFLINE
            finally:
                if self.config.scheme == "tcp":
                    self._drop()

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
        job = Dummy(profile=self.config.profile)
        stats = print_ticket(job, view, self._fit(layout) if layout is not None else self.layout)
        data = job.output
        with self._lock:
            if self.config.scheme == "virtual":
                return self._print_virtual(view, data, stats.text_lines, stats.raster_lines, started)
            try:
                self._open()
                if self.can_report_status:
                    self._raise_for(self._probe())
                self._write(data)
                after = PrinterStatus.UNKNOWN
                if self.can_report_status:
                    after = self._probe()
                    # The ticket may be cut short: paper or cover failing during the job.
                    self._raise_for(after)
            except PrinterError:
                self._drop()
                raise
            finally:
                if self.config.scheme == "tcp":
                    self._drop(discard=False)
        return PrintResult(
            number=view.number,
            bytes_sent=len(data),
            seconds=time.perf_counter() - started,
            status=after,
            text_lines=stats.text_lines,
            raster_lines=stats.raster_lines,
        )

    def close(self) -> None:
        """Close the device. The printer may be used again: it reopens on demand."""
        with self._lock:
            self._drop(discard=False)

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

    def _error(self, cls: type[PrinterError], detail: str) -> PrinterError:
        return cls(detail, device=self.config.url)

    def _raise_for(self, status: PrinterStatus) -> None:
        if status is PrinterStatus.PAPER_OUT:
            raise self._error(PaperOut, "the printer is out of paper")
        if status is PrinterStatus.COVER_OPEN:
            raise self._error(CoverOpen, "the printer's cover is open")
        if status is PrinterStatus.OFFLINE:
            raise self._error(PrinterUnavailable, "the printer says it is offline")

    def _make_device(self) -> Escpos:
        c = self.config
        if c.scheme == "serial":
            return Serial(
                devfile=c.target,
                baudrate=c.baudrate,
                bytesize=c.bytesize,
                parity=c.parity,
                stopbits=c.stopbits,
                timeout=c.status_timeout,
                xonxoff=c.flow == "xonxoff",
                dsrdtr=c.flow == "dsrdtr",
                profile=c.profile,
            )
        if c.scheme == "tcp":
            return Network(host=c.target, port=c.port, timeout=c.timeout, profile=c.profile)
        if c.scheme == "usb":
            if not Usb.is_usable():
                # Checked first: python-escpos's Usb raises even from close() without pyusb.
                raise self._error(
                    PrinterUnavailable,
                    "USB printing needs the pyusb package and libusb-1.0; "
                    "or use the kernel's printer device, file:///dev/usb/lp0",
                )
            vendor, product = (int(part, 16) for part in c.target.split(":"))
            return Usb(
                idVendor=vendor,
                idProduct=product,
                timeout=int(c.timeout * 1000),
                in_ep=c.in_ep,
                out_ep=c.out_ep,
                profile=c.profile,
            )
        return File(devfile=c.target, profile=c.profile)

    def _open(self) -> Escpos:
        if self._device is not None:
            return self._device
        device = self._make_device()
        try:
            device.open()
        except (EscposError, OSError, RuntimeError, ValueError, *_usb_errors()) as exc:
            # RuntimeError: python-escpos's way of saying pyusb is missing.
            raise self._error(PrinterUnavailable, f"can't open the printer: {_oneline(exc)}") from exc
        if self.config.scheme == "serial":
            port: serial.Serial = device.device
            # python-escpos's Serial has no RTS/CTS or write timeout setting; pyserial
            # applies these to an open port.
            port.rtscts = self.config.flow == "rtscts"
            port.write_timeout = self.config.timeout
        self._device = device
        return device

    def _drop(self, discard: bool = True) -> None:
        device, self._device = self._device, None
        if device is None:
            return
        try:
            if isinstance(device, Serial):
                port = device._device
                if port:
                    if discard:
                        # After a failure: drop what a stuck printer didn't take.
                        port.reset_output_buffer()
                    # Closed directly: python-escpos's close() calls tcdrain, which has
                    # no timeout and hangs on a printer stopped by flow control.
                    port.close()
            else:
                device.close()
        except (EscposError, OSError, ValueError, *_usb_errors()) as exc:
            log.debug("closing printer %s: %s", self.config.url, exc)
        # python-escpos closes again in __del__; mark it closed so that is a no-op.
        device._device = False

    def _write(self, data: bytes) -> None:
        device = self._device
        assert device is not None, "write before open"
        c = self.config
        try:
            if isinstance(device, Serial):
                port: serial.Serial = device.device
                # Allow for the transfer itself: 10 bits per byte on the wire, with margin.
                port.write_timeout = c.timeout + 1.5 * len(data) * 10 / c.baudrate
                device._raw(data)
                self._drain_serial(port, port.write_timeout)
            elif isinstance(device, Network):
                device.device.settimeout(c.timeout)
                device._raw(data)
            else:
                device._raw(data)
                if isinstance(device, File):
                    device.flush()
        except (serial.SerialTimeoutException, TimeoutError) as exc:
            raise self._error(PrinterTimeout, f"the printer didn't take the ticket in time: {exc}") from exc
        except (serial.SerialException, OSError, EscposError) as exc:
            if type(exc).__name__ == "USBTimeoutError":
                raise self._error(PrinterTimeout, f"USB write timed out: {exc}") from exc
            raise self._error(PrinterUnavailable, f"writing to the printer failed: {_oneline(exc)}") from exc

    def _drain_serial(self, port: serial.Serial, limit: float) -> None:
        # Wait (bounded) until the UART has sent everything: with flow control a
        # stopped printer leaves bytes queued here, which must not count as printed.
        deadline = time.monotonic() + limit
        while port.out_waiting:
            if time.monotonic() > deadline:
                raise serial.SerialTimeoutException("output still queued")
            time.sleep(0.01)

    def _query(self, n: int) -> int | None:
        """Send ``DLE EOT n`` and return the answer byte, or ``None`` if none came in time."""
        device = self._device
        assert device is not None, "query before open"
        timeout = self.config.status_timeout
        request = DLE_EOT + bytes((n,))
        try:
            if isinstance(device, Serial):
                port: serial.Serial = device.device
                port.reset_input_buffer()
                port.timeout = timeout
                device._raw(request)
                # One byte, not python-escpos's read(16), which always waits the whole timeout.
                answer = port.read(1)
            elif isinstance(device, Network):
                sock: socket.socket = device.device
                _drain_socket(sock)
                sock.settimeout(timeout)
                device._raw(request)
                try:
                    answer = sock.recv(1)
                except TimeoutError:
                    return None
                if not answer:
                    raise self._error(PrinterUnavailable, "the printer closed the connection")
            else:
                answer = bytes(device._read()[:1])
        except (serial.SerialException, OSError, EscposError) as exc:
            if type(exc).__name__ == "USBTimeoutError":
                return None
            raise self._error(PrinterUnavailable, f"status query failed: {_oneline(exc)}") from exc
        return answer[0] if answer else None

    def _probe(self) -> PrinterStatus:
        online = self._query(1)
        if online is None:
            raise self._error(
                PrinterTimeout,
                f"the printer didn't answer its status within {self.config.status_timeout:g} s",
            )
        if not _valid_status_byte(online):
            raise self._error(PrinterUnavailable, f"the printer answered its status with 0x{online:02x}")
        cause = self._query(2) if online & 0x08 else None
        paper = self._query(4)
        if paper is None and not online & 0x08:
            # Unlike python-escpos's paper_status(), silence is not "paper OK".
            raise self._error(PrinterTimeout, "the printer didn't answer its paper status")
        return decode_status(online, cause, paper)

    def _print_virtual(
        self, view: TicketView, data: bytes, text_lines: int, raster_lines: int, started: float
    ) -> PrintResult:
        self._raise_for(self.config.simulate)
        directory = Path(self.config.target)
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._count += 1
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", view.ticket_id or view.number)
            stamp = datetime.now().strftime("%H%M%S")
            path = directory / f"{name}-{stamp}-{self._count:04d}.png"
            slots = Dummy(profile=self.config.profile).profile.get_code_pages()
            codecs = {int(slot): codec for page, slot in slots.items() if (codec := python_codec(page))}
            style = PaperStyle(
                dots=self.layout.dots,
                margin=max(16, round(self.layout.paper_mm * 8 - self.layout.dots) // 2),
                font_dirs=self.layout.font_dirs,
            )
            render_job(data, codecs, style).save(path)
        except OSError as exc:
            raise self._error(PrinterUnavailable, f"can't write the ticket picture: {exc}") from exc
        return PrintResult(
            number=view.number,
            bytes_sent=len(data),
            seconds=time.perf_counter() - started,
            status=self.config.simulate,
            text_lines=text_lines,
            raster_lines=raster_lines,
            png_path=path,
        )


def _drain_socket(sock: socket.socket) -> None:
    # Drop stale bytes (a late answer to an earlier query) before asking again.
    sock.setblocking(False)
    try:
        while sock.recv(64):
            pass
    except (BlockingIOError, InterruptedError):
        pass
    finally:
        sock.setblocking(True)


def _oneline(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


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
