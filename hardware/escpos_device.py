"""
The one place that touches python-escpos's private parts.

python-escpos 3.1 has no public call to send bytes that are already encoded, and
it closes its connection again when a printer object is garbage collected. The
ticket layout (``receipts.py``) and the transports (``transports.py``) go
through :class:`EscposDevice` for both; everything else they use is public
(``open``, ``close``, ``query_status``, ``set``, ``qr``, ``cut``, the ``device``
property) or belongs to the library underneath (pyserial, socket, pyusb).

"""

from __future__ import annotations

from typing import Any

from escpos.escpos import Escpos

__all__ = ["EscposDevice"]


class EscposDevice:
    """
    A python-escpos printer object: a ``Dummy`` being drawn on, or a device.

    Each private part it touches says why where it does.

    """

    def __init__(self, printer: Escpos) -> None:
        self.printer = printer

    def open(self) -> None:
        self.printer.open()

    @property
    def handle(self) -> Any:
        """The open connection underneath: a pyserial port, a socket, a file, a pyusb device."""
        return self.printer.device

    def send(self, data: bytes) -> None:
        # Private, but the one method every python-escpos printer class implements, and
        # there is no public call for bytes already encoded: text in the code page we
        # chose (python-escpos's text() would choose its own), raster lines, and a whole
        # ticket laid out into a Dummy first, so that a layout error sends nothing.
        self.printer._raw(data)

    def query(self, request: bytes) -> bytes:
        """Send a real-time status request and return what came back (empty: nothing)."""
        return bytes(self.printer.query_status(request))

    def close(self) -> None:
        try:
            self.printer.close()
        finally:
            self.forget()

    def forget(self) -> None:
        """Take the printer object as closed; whoever calls this closed the connection."""
        # Private: python-escpos calls close() again when the object is garbage collected,
        # where a close that failed, or that the transport did itself, must not run again.
        self.printer._device = False
