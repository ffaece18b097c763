"""The kiosk's ticket printer behind one worker thread.

Printing and status queries block on the device (a serial status query waits for its
answer, a ticket takes a fraction of a second to go out), so they never run in the GUI
thread. One worker serializes them: a status check never interleaves with a ticket.

The printer driver is loaded by the worker on its first job: python-escpos takes about a
second to import, which the kiosk's first screen doesn't wait for.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from hardware.exceptions import PrinterUnavailable
from hardware.ticket import TicketView

if TYPE_CHECKING:
    from hardware.printer import TicketPrinter


class PrinterService:
    """``print_ticket`` and ``status`` of a :class:`~hardware.printer.TicketPrinter`,
    returning futures completed by a worker thread.

    Args:
        url: the printer URL of the device file.
        paper_mm: 80 or 58.
    """

    def __init__(self, url: str, *, paper_mm: int = 80) -> None:
        self.url = url
        self.paper_mm = paper_mm
        self._printer: TicketPrinter | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-printer")

    def _device(self) -> TicketPrinter:
        if self._printer is None:
            from hardware.printer import open_printer

            try:
                self._printer = open_printer(self.url, paper_mm=self.paper_mm)
            except ValueError as exc:
                # A wrong URL is a printer that can't work: reported like one.
                raise PrinterUnavailable(str(exc), device=self.url) from exc
        return self._printer

    def print_ticket(self, view: TicketView) -> Future[Any]:
        """Completes with a ``hardware.printer.PrintResult`` or a ``PrinterError``."""
        return self._pool.submit(lambda: self._device().print_ticket(view))

    def status(self) -> Future[Any]:
        """Completes with a ``hardware.printer.PrinterStatus``."""
        return self._pool.submit(lambda: self._device().status())

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        if self._printer is not None:
            self._printer.close()
