"""
How a ticket reaches a printer: one transport class per printer URL scheme.

.. code-block:: text

    * Transport                   status(), send(job), close(), job_done()
        * EscposTransport         through a python-escpos printer class
            * SerialTransport     serial://   Serial   status over the same wires
            * NetworkTransport    tcp://      Network  status; one connection per job
            * UsbTransport        usb://      Usb      status over the IN endpoint
            * FileTransport       file://     File     write only
        * VirtualPrinter          virtual://  (hardware/virtual_printer.py) PNG files

:class:`~hardware.printer.TicketPrinter` picks the class from the URL's scheme
(``hardware.printer.TRANSPORTS``) and holds the lock; a transport is called from
one thread at a time. It opens its device on first use and again after
:meth:`Transport.close`.

python-escpos's private parts are touched in one class only,
:class:`~hardware.escpos_device.EscposDevice`, which ``receipts.py`` uses too. Each
transport translates its own library's errors, caught by class, into
:exc:`~hardware.exceptions.PrinterError` subclasses chained with ``raise ... from``.

"""

from __future__ import annotations

import enum
import logging
import re
import socket
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast
from urllib.parse import SplitResult, unquote

import serial
import usb.core
from escpos.escpos import Escpos
from escpos.exceptions import Error as EscposError
from escpos.printer import File, Network, Serial, Usb

from .escpos_device import EscposDevice
from .exceptions import PrinterError, PrinterTimeout, PrinterUnavailable
from .layout import Layout

__all__ = [
    "EscposTransport",
    "FileTransport",
    "Job",
    "NetworkTransport",
    "PrinterConfig",
    "PrinterStatus",
    "SerialTransport",
    "Transport",
    "UsbTransport",
    "decode_status",
]

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"

_Errors = tuple[type[Exception], ...]


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


@dataclass(frozen=True)
class Job:
    """One ticket, laid out and encoded: what a transport sends."""

    data: bytes
    """ESC/POS bytes, from a python-escpos ``Dummy``."""
    name: str
    """The ticket's id or number, for transports that keep a file per ticket."""
    layout: Layout
    """The layout the ticket was drawn with."""


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


def _oneline(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class Transport(ABC):
    """
    How tickets reach one kind of printer.

    Subclasses set :attr:`reads_status` and implement :meth:`status`,
    :meth:`send` and :meth:`close`; every method raises only
    :exc:`~hardware.exceptions.PrinterError` for a device problem.

    """

    reads_status: ClassVar[bool] = False
    """Whether the printer can answer ``DLE EOT`` over this transport."""

    def __init__(self, config: PrinterConfig) -> None:
        self.config = config

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.config.url}>"

    @classmethod
    def parse_target(cls, parts: SplitResult) -> tuple[str, dict[str, Any]]:
        """
        Read the device from a split URL: a path, unless the scheme says otherwise.

        Returns:
            The target and any options the URL's address sets (a TCP port).

        Raises:
            ValueError: The address isn't of this scheme's form.

        """
        target = unquote(parts.netloc + parts.path)
        if not target:
            raise ValueError("no path")
        return target, {}

    @property
    def can_report_status(self) -> bool:
        """Whether :meth:`status` asks the device: it can, and ``check`` is on."""
        return self.reads_status and self.config.check

    def error(self, cls: type[PrinterError], detail: str) -> PrinterError:
        """An error about this printer, naming its URL."""
        return cls(detail, device=self.config.url)

    @abstractmethod
    def status(self) -> PrinterStatus:
        """
        Ask the printer for its state, opening it if needed.

        Returns ``UNKNOWN`` without opening anything where the status can't be read.

        Raises:
            PrinterError: The device can't be opened or didn't answer.

        """

    @abstractmethod
    def send(self, job: Job) -> Path | None:
        """
        Send one ticket, opening the device if needed.

        Returns:
            The file the ticket became, where the transport makes one.

        Raises:
            PrinterError: The ticket didn't (completely) go out.

        """

    @abstractmethod
    def close(self, *, discard: bool = False) -> None:
        """
        Close the device, if open; never raises. The next call opens it again.

        Args:
            discard: After a failure: drop what a stuck printer didn't take.

        """

    def job_done(self) -> None:  # noqa: B027 - a hook: most transports keep their device open
        """Called after each print or status check: a transport may let the device go."""


class EscposTransport(Transport):
    """
    A transport through one of python-escpos's printer classes.

    Subclasses make the python-escpos object (:meth:`_make`) and name their
    library's errors; those that can read status implement :meth:`_ask`.

    """

    timeout_errors: ClassVar[_Errors] = ()
    """A write that didn't finish in time: ``PrinterTimeout``."""
    io_errors: ClassVar[_Errors] = (OSError,)
    """Any other failure to write or ask: ``PrinterUnavailable``."""
    open_errors: ClassVar[_Errors] = (EscposError, OSError)
    """Failures to open: ``PrinterUnavailable``."""

    def __init__(self, config: PrinterConfig) -> None:
        super().__init__(config)
        self._device: EscposDevice | None = None

    @abstractmethod
    def _make(self) -> Escpos:
        """A new, unopened python-escpos printer object for the URL."""

    def _opened(self, device: EscposDevice) -> None:
        """Adjust a device that was just opened."""

    def _ask(self, device: EscposDevice, request: bytes) -> bytes:
        """Send a status request; return the answer, empty if none came in time.

        Called only when ``can_report_status`` (``status`` checks it): a transport that can
        read the printer's answers defines it (serial, network, USB). One that can't (a file)
        hears nothing, as from a printer that does not answer.
        """
        return b""

    def _write(self, device: EscposDevice, data: bytes) -> None:
        device.send(data)

    def _close(self, device: EscposDevice, discard: bool) -> None:
        device.close()

    def _open_failed(self, exc: Exception) -> str:
        return f"can't open the printer: {_oneline(exc)}"

    def open(self) -> EscposDevice:
        """
        Open the device, unless it is open.

        Raises:
            PrinterUnavailable: It can't be opened.

        """
        if self._device is not None:
            return self._device
        device = EscposDevice(self._make())
        try:
            device.open()
            self._opened(device)
        except self.open_errors as exc:
            self._forget(device, discard=True)
            raise self.error(PrinterUnavailable, self._open_failed(exc)) from exc
        self._device = device
        return device

    def close(self, *, discard: bool = False) -> None:
        device, self._device = self._device, None
        if device is not None:
            self._forget(device, discard)

    def _forget(self, device: EscposDevice, discard: bool) -> None:
        try:
            self._close(device, discard)
        except (EscposError, OSError, ValueError) as exc:
            log.debug("closing printer %s: %s", self.config.url, exc)

    def status(self) -> PrinterStatus:
        if not self.can_report_status:
            return PrinterStatus.UNKNOWN
        self.open()
        return self._probe()

    def send(self, job: Job) -> None:
        device = self.open()
        try:
            self._write(device, job.data)
        except self.timeout_errors as exc:
            raise self.error(PrinterTimeout, f"the printer didn't take the ticket in time: {exc}") from exc
        except self.io_errors as exc:
            raise self.error(PrinterUnavailable, f"writing to the printer failed: {_oneline(exc)}") from exc

    def _query(self, n: int) -> int | None:
        """Send ``DLE EOT n`` and return the answer byte, or ``None`` if none came in time."""
        device = self._device
        assert device is not None, "query before open"
        try:
            answer = self._ask(device, DLE_EOT + bytes((n,)))
        except self.io_errors as exc:
            raise self.error(PrinterUnavailable, f"status query failed: {_oneline(exc)}") from exc
        return answer[0] if answer else None

    def _probe(self) -> PrinterStatus:
        # Not python-escpos's is_online() and paper_status(): they can't tell silence from
        # an answer (paper_status() reports "paper OK" when the printer says nothing), and
        # the cause of "offline" (DLE EOT 2) isn't among them.
        online = self._query(1)
        if online is None:
            raise self.error(
                PrinterTimeout,
                f"the printer didn't answer its status within {self.config.status_timeout:g} s",
            )
        if not _valid_status_byte(online):
            raise self.error(PrinterUnavailable, f"the printer answered its status with 0x{online:02x}")
        cause = self._query(2) if online & 0x08 else None
        paper = self._query(4)
        if paper is None and not online & 0x08:
            raise self.error(PrinterTimeout, "the printer didn't answer its paper status")
        return decode_status(online, cause, paper)


class SerialTransport(EscposTransport):
    """``serial://``: python-escpos's ``Serial`` on a local port; status over the same wires."""

    reads_status = True
    # SerialTimeoutException is pyserial's write timeout; a read that times out returns short.
    timeout_errors = (serial.SerialTimeoutException,)
    io_errors = (serial.SerialException, OSError)
    open_errors = (EscposError, serial.SerialException, OSError, ValueError)

    def __init__(self, config: PrinterConfig) -> None:
        super().__init__(config)
        self._port: serial.Serial | None = None

    def _make(self) -> Escpos:
        c = self.config
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

    def _opened(self, device: EscposDevice) -> None:
        port = self._port = cast(serial.Serial, device.handle)
        # python-escpos's Serial has no RTS/CTS or write timeout setting; pyserial
        # applies these to an open port.
        port.rtscts = self.config.flow == "rtscts"
        port.write_timeout = self.config.timeout

    def _write(self, device: EscposDevice, data: bytes) -> None:
        port = self._port
        assert port is not None, "write before open"
        # Allow for the transfer itself: 10 bits per byte on the wire, with margin.
        port.write_timeout = self.config.timeout + 1.5 * len(data) * 10 / self.config.baudrate
        device.send(data)
        # Wait (bounded) until the UART has sent everything: with flow control a
        # stopped printer leaves bytes queued here, which must not count as printed.
        deadline = time.monotonic() + port.write_timeout
        while port.out_waiting:
            if time.monotonic() > deadline:
                raise serial.SerialTimeoutException("output still queued")
            time.sleep(0.01)

    def _ask(self, device: EscposDevice, request: bytes) -> bytes:
        port = self._port
        assert port is not None, "query before open"
        port.reset_input_buffer()
        port.timeout = self.config.status_timeout
        device.send(request)
        # One byte, not python-escpos's query_status(), which reads 16 and so always
        # waits the whole timeout.
        return bytes(port.read(1))

    def _close(self, device: EscposDevice, discard: bool) -> None:
        # Not python-escpos's close(): it calls tcdrain, which has no timeout and hangs
        # on a printer stopped by flow control. The port is closed here instead.
        port, self._port = self._port, None
        try:
            if port is not None:
                try:
                    if discard:
                        port.reset_output_buffer()
                finally:
                    port.close()
        finally:
            device.forget()


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


class NetworkTransport(EscposTransport):
    """
    ``tcp://``: python-escpos's ``Network``; status over the same connection.

    One connection per job: such printers serve one client at a time.

    """

    reads_status = True
    timeout_errors = (TimeoutError,)
    io_errors = (OSError,)

    @classmethod
    def parse_target(cls, parts: SplitResult) -> tuple[str, dict[str, Any]]:
        if not parts.hostname:
            raise ValueError("no host")
        return parts.hostname, {"port": parts.port} if parts.port else {}

    def _make(self) -> Escpos:
        c = self.config
        return Network(host=c.target, port=c.port, timeout=c.timeout, profile=c.profile)

    def _write(self, device: EscposDevice, data: bytes) -> None:
        cast(socket.socket, device.handle).settimeout(self.config.timeout)
        device.send(data)

    def _ask(self, device: EscposDevice, request: bytes) -> bytes:
        sock = cast(socket.socket, device.handle)
        _drain_socket(sock)
        sock.settimeout(self.config.status_timeout)
        try:
            # python-escpos's query_status() reads with recv(16), which returns with the first byte.
            answer = device.query(request)
        except TimeoutError:
            return b""
        if not answer:
            raise self.error(PrinterUnavailable, "the printer closed the connection")
        return answer

    def job_done(self) -> None:
        self.close()


class UsbTransport(EscposTransport):
    """``usb://VENDOR:PRODUCT``: python-escpos's ``Usb`` through pyusb; status over the IN endpoint."""

    reads_status = True
    timeout_errors = (usb.core.USBTimeoutError,)
    # ValueError: pyusb's answer to an endpoint the device doesn't have (in_ep/out_ep in the URL).
    io_errors = (usb.core.USBError, ValueError)
    # NoBackendError: pyusb found no libusb.
    open_errors = (EscposError, usb.core.USBError, usb.core.NoBackendError)

    def __init__(self, config: PrinterConfig, *, backend: Any = None) -> None:
        """
        Args:
            config: The printer's URL.
            backend: A pyusb backend; by default pyusb picks libusb.

        """
        super().__init__(config)
        self.backend = backend

    @classmethod
    def parse_target(cls, parts: SplitResult) -> tuple[str, dict[str, Any]]:
        if not re.fullmatch(r"(0x)?[0-9a-fA-F]{1,4}:(0x)?[0-9a-fA-F]{1,4}", parts.netloc):
            raise ValueError("expected usb://VENDOR:PRODUCT in hex, e.g. usb://0x0416:0x5011")
        return parts.netloc, {}

    def _make(self) -> Escpos:
        c = self.config
        vendor, product = (int(part, 16) for part in c.target.split(":"))
        return Usb(
            idVendor=vendor,
            idProduct=product,
            usb_args={"backend": self.backend} if self.backend is not None else {},
            timeout=int(c.timeout * 1000),
            in_ep=c.in_ep,
            out_ep=c.out_ep,
            profile=c.profile,
        )

    def _opened(self, device: EscposDevice) -> None:
        # python-escpos reads status with pyusb's default timeout (1 s); writes pass their own.
        pyusb_device = cast(usb.core.Device, device.handle)
        pyusb_device.default_timeout = max(1, round(self.config.status_timeout * 1000))

    def _open_failed(self, exc: Exception) -> str:
        if isinstance(exc, usb.core.NoBackendError):
            return (
                "can't open the printer: USB printing needs libusb-1.0 (Debian: libusb-1.0-0); "
                "or use the kernel's printer device, file:///dev/usb/lp0"
            )
        return super()._open_failed(exc)

    def _ask(self, device: EscposDevice, request: bytes) -> bytes:
        try:
            return device.query(request)
        except usb.core.USBTimeoutError:
            return b""


class FileTransport(EscposTransport):
    """``file://``: python-escpos's ``File`` on a device file (``/dev/usb/lp0``); can't read status."""

    def _make(self) -> Escpos:
        return File(devfile=self.config.target, profile=self.config.profile)
