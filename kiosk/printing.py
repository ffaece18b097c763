"""The kiosk's ticket printer behind one worker thread.

Printing and status queries block on the device (a serial status query waits for its
answer, a ticket takes a fraction of a second to go out), so they never run in the GUI
thread. One worker serializes them: a status check never interleaves with a ticket.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from hardware.printer import PrinterStatus, PrintResult, TicketPrinter, open_printer
from hardware.ticket import TicketView


class PrinterService:
    """``print_ticket`` and ``status`` of a :class:`~hardware.printer.TicketPrinter`,
    returning futures completed by a worker thread."""

    def __init__(self, printer: TicketPrinter) -> None:
        self.printer = printer
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kiosk-printer")

    @classmethod
    def open(cls, url: str, *, paper_mm: int = 80) -> PrinterService:
        """Configure the printer of a device file. Raises ValueError for a bad URL."""
        return cls(open_printer(url, paper_mm=paper_mm))

    def print_ticket(self, view: TicketView) -> Future[PrintResult]:
        return self._pool.submit(self.printer.print_ticket, view)

    def status(self) -> Future[PrinterStatus]:
        return self._pool.submit(self.printer.status)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        self.printer.close()
