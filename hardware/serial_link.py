"""
A serial line that survives its USB adapter being unplugged.

:class:`SerialLink` opens the port with ``serial.serial_for_url`` (so a device
path, ``socket://host:port`` for a serial-over-Ethernet converter, ``rfc2217://``
or ``loop://`` all work) on first use. When a write fails it closes the port,
reopens it once and writes again: a USB adapter that was pulled and plugged back
in (same ``/dev`` path, ideally a stable udev symlink) is picked up by the very
next write. If that fails too, :exc:`~hardware.exceptions.BoardUnavailable` is
raised and the following write tries again.

"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import serial
import serial.rs485

from .exceptions import BoardUnavailable

__all__ = ["LinkSettings", "SerialLink"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkSettings:
    """Port settings, as pyserial names them."""

    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    timeout: float = 0.2
    """Read timeout, for boards that acknowledge."""
    write_timeout: float = 1.0
    rs485: bool = False
    """Switch the kernel driver to RS-485 mode (RTS drives the transmitter)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Further ``serial_for_url`` keyword arguments."""


class SerialLink:
    """One serial port, opened on demand and reopened after failures. Thread-safe."""

    def __init__(self, url: str, settings: LinkSettings | None = None) -> None:
        self.url = url
        self.settings = settings or LinkSettings()
        self._port: serial.SerialBase | None = None
        self._lock = threading.RLock()
        self.reconnects = 0
        """How many times the port was reopened after a failure."""

    def __repr__(self) -> str:
        return f"<SerialLink {self.url} {'open' if self.is_open else 'closed'}>"

    @property
    def is_open(self) -> bool:
        return self._port is not None

    def _open(self) -> serial.SerialBase:
        if self._port is not None:
            return self._port
        s = self.settings
        try:
            port = serial.serial_for_url(
                self.url,
                baudrate=s.baudrate,
                bytesize=s.bytesize,
                parity=s.parity,
                stopbits=s.stopbits,
                timeout=s.timeout,
                write_timeout=s.write_timeout,
                **s.extra,
            )
            if s.rs485:
                port.rs485_mode = serial.rs485.RS485Settings(rts_level_for_tx=True, rts_level_for_rx=False)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise BoardUnavailable(f"can't open the board line: {exc}", device=self.url) from exc
        self._port = port
        return port

    def _drop(self) -> None:
        port, self._port = self._port, None
        if port is None:
            return
        try:
            port.close()
        except (serial.SerialException, OSError) as exc:
            log.debug("closing %s: %s", self.url, exc)

    def write(self, data: bytes) -> None:
        """
        Write ``data`` and wait until it has left the port.

        Raises:
            BoardUnavailable: If the port can't be opened or written, even after reopening it.

        """
        with self._lock:
            try:
                self._write_once(data)
                return
            except (serial.SerialException, OSError) as exc:
                # The adapter may have been replugged: the old handle is dead but the path is back.
                log.info("board line %s failed (%s); reopening", self.url, exc)
                self._drop()
            try:
                self._write_once(data)
            except (serial.SerialException, OSError) as exc:
                self._drop()
                raise BoardUnavailable(f"can't write to the board line: {exc}", device=self.url) from exc
            self.reconnects += 1

    def _write_once(self, data: bytes) -> None:
        try:
            port = self._open()
        except BoardUnavailable as exc:
            raise serial.SerialException(exc.detail) from exc
        written = port.write(data)
        if written is not None and written != len(data):
            raise serial.SerialTimeoutException(f"wrote {written} of {len(data)} bytes")
        port.flush()

    def read(self, size: int = 1) -> bytes:
        """
        Read up to ``size`` bytes, waiting at most the read timeout.

        Raises:
            BoardUnavailable: If the port can't be read.

        """
        with self._lock:
            try:
                return bytes(self._open().read(size))
            except (serial.SerialException, OSError) as exc:
                self._drop()
                raise BoardUnavailable(f"can't read from the board line: {exc}", device=self.url) from exc

    def reset_input(self) -> None:
        """Drop unread input (stale acknowledgements)."""
        with self._lock:
            if self._port is not None:
                try:
                    self._port.reset_input_buffer()
                except (serial.SerialException, OSError):
                    self._drop()

    def close(self) -> None:
        """Close the port; the next write opens it again."""
        with self._lock:
            self._drop()
