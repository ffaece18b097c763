"""
Errors raised by the hardware layer.

Every error a kiosk or counter can meet while driving a device is a
:exc:`DeviceError`. Each class has a stable ``code`` string: the kiosk sends it
to the server in its health report and the supervisor's screen shows it, so a
code never changes once released. The message is for people and may change.

.. code-block:: text

    * DeviceError                       code
        * PrinterError
            * PrinterUnavailable        printer_unavailable  can't open, offline, write refused
            * PrinterTimeout            printer_timeout      no answer or write timed out
            * PaperOut                  paper_out
            * CoverOpen                 cover_open
        * BoardUnavailable              board_unavailable    number board line can't be written
        * LayoutError                   layout_invalid       bad ticket layout file
            * FontNotFound              font_missing         no TrueType font for raster text
        * FrameError                    frame_invalid        a device frame that doesn't decode

Library errors (``escpos.exceptions.Error``, ``serial.SerialException``,
``OSError``) are translated at the boundary and chained with ``raise ... from``.

"""

from __future__ import annotations

__all__ = [
    "BoardUnavailable",
    "CoverOpen",
    "DeviceError",
    "FontNotFound",
    "FrameError",
    "LayoutError",
    "PaperOut",
    "PrinterError",
    "PrinterTimeout",
    "PrinterUnavailable",
]


class DeviceError(Exception):
    """
    Base class for every hardware error.

    Attributes:
        code: Stable identifier of the failure, used on the wire.
        device: What failed, as configured (a printer URL, a serial port).
        detail: Readable explanation.

    """

    code: str = "device_error"

    def __init__(self, detail: str, *, device: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
        self.device = device

    def __str__(self) -> str:
        where = f" ({self.device})" if self.device else ""
        return f"{self.detail}{where}"


class PrinterError(DeviceError):
    """A ticket printer failed; the ticket was not printed (or not completely)."""

    code = "printer_error"


class PrinterUnavailable(PrinterError):
    """The printer can't be opened, is offline, or refused the data."""

    code = "printer_unavailable"


class PrinterTimeout(PrinterError):
    """The printer didn't answer a status query, or a write didn't finish in time."""

    code = "printer_timeout"


class PaperOut(PrinterError):
    """The paper roll is empty."""

    code = "paper_out"


class CoverOpen(PrinterError):
    """The printer's cover is open."""

    code = "cover_open"


class BoardUnavailable(DeviceError):
    """A counter number board line couldn't be written (adapter unplugged, port busy)."""

    code = "board_unavailable"


class LayoutError(DeviceError):
    """A ticket layout file is malformed or refers to something that doesn't exist."""

    code = "layout_invalid"


class FontNotFound(LayoutError):
    """No TrueType font was found for text the printer's code pages can't hold."""

    code = "font_missing"


class FrameError(DeviceError):
    """Bytes that don't form a valid device frame (bad start, length or checksum)."""

    code = "frame_invalid"
