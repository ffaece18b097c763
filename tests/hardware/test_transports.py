"""Transports: one class per printer URL scheme; USB through python-escpos and pyusb on a fake backend."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import usb.core

from hardware.exceptions import PaperOut, PrinterTimeout, PrinterUnavailable
from hardware.layout import load_layout
from hardware.printer import TRANSPORTS, PrinterStatus, TicketPrinter, open_printer, parse_printer_url
from hardware.ticket import TicketView
from hardware.transports import (
    FileTransport,
    NetworkTransport,
    SerialTransport,
    UsbTransport,
)
from hardware.virtual_printer import VirtualPrinter
from wire.device import PRINTER_SCHEMES

from .conftest import PAPER_LOW, PAPER_OUT, READY
from .escpos_decode import QRCode, StatusQuery, decode
from .usb_backend import UsbPrinter

USB_URL = "usb://0x0416:0x5011?timeout=0.3&status_timeout=0.2"


def usb_printer(fake: UsbPrinter, url: str = USB_URL) -> TicketPrinter:
    """A ticket printer whose USB transport finds its device on ``fake``."""
    config = parse_printer_url(url)
    return TicketPrinter(config, load_layout(), transport=UsbTransport(config, backend=fake))


def test_printer_url_schemes_are_the_configurations() -> None:
    """Every scheme a center's configuration accepts has a transport, and no other."""
    assert set(TRANSPORTS) == set(PRINTER_SCHEMES)


@pytest.mark.parametrize(
    ("url", "transport"),
    [
        ("serial:///dev/ttyUSB0", SerialTransport),
        ("tcp://192.168.1.50", NetworkTransport),
        ("usb://0x0416:0x5011", UsbTransport),
        ("file:///dev/usb/lp0", FileTransport),
        ("virtual:///tmp/tickets", VirtualPrinter),
    ],
)
def test_printer_takes_the_transport_of_its_scheme(url: str, transport: type) -> None:
    printer = open_printer(url)
    assert type(printer.transport) is transport
    assert printer.can_report_status is (transport not in (FileTransport, VirtualPrinter))


# -- USB -------------------------------------------------------------------------


def test_printer_prints_over_usb(din_view: Callable[..., TicketView]) -> None:
    """python-escpos's Usb writes the ticket to the OUT endpoint between two status checks."""
    fake = UsbPrinter(READY)
    with usb_printer(fake) as printer:
        result = printer.print_ticket(din_view("ru"))
    assert result.status is PrinterStatus.OK
    out = decode(bytes(fake.answerer.received))
    assert [item.n for item in out.items if isinstance(item, StatusQuery)] == [1, 4, 1, 4]
    assert "Министерство внутренних дел" in out.texts
    assert out.qrcodes == [QRCode("https://novbe.example/t/20261123-A015", 6, "M")]
    assert len(out.cuts) == 1
    assert len(fake.answerer.job_bytes()) == result.bytes_sent
    assert set(fake.read_timeouts) == {200}  # status_timeout, not pyusb's default second


def test_printer_over_usb_reports_paper(din_view: Callable[..., TicketView]) -> None:
    fake = UsbPrinter(PAPER_LOW)
    with usb_printer(fake) as printer:
        assert printer.status() is PrinterStatus.PAPER_LOW
        assert printer.print_ticket(din_view("az")).status is PrinterStatus.PAPER_LOW
        fake.answerer.answers = PAPER_OUT
        assert printer.status() is PrinterStatus.PAPER_OUT
        sent = len(fake.answerer.received)
        with pytest.raises(PaperOut):
            printer.print_ticket(din_view("az"))
    assert b"\x1dV" not in fake.answerer.received[sent:]


def test_printer_over_usb_times_out_when_the_printer_never_answers(
    din_view: Callable[..., TicketView],
) -> None:
    fake = UsbPrinter(None)
    with usb_printer(fake) as printer:
        with pytest.raises(PrinterTimeout, match=r"didn.t answer its status within 0\.2 s"):
            printer.print_ticket(din_view("ru"))
        assert printer.status() is PrinterStatus.OFFLINE
    assert fake.answerer.job_bytes() == b""


def test_printer_over_usb_that_takes_no_data_times_out(din_view: Callable[..., TicketView]) -> None:
    """pyusb's USBTimeoutError on the write is a PrinterTimeout, caught by its class."""
    fake = UsbPrinter(None)
    with usb_printer(fake, f"{USB_URL}&check=0") as printer:
        fake.stalled = True
        started = time.monotonic()
        with pytest.raises(PrinterTimeout, match="didn't take the ticket in time") as info:
            printer.print_ticket(din_view("ru"))
        assert time.monotonic() - started < 2.0  # the URL's timeout, 0.3 s
        assert isinstance(info.value.__cause__, usb.core.USBTimeoutError)
        fake.stalled = False
        assert printer.print_ticket(din_view("ru")).status is PrinterStatus.UNKNOWN


def test_printer_over_usb_unplugged_is_unavailable_until_plugged_back(
    din_view: Callable[..., TicketView],
) -> None:
    fake = UsbPrinter(READY)
    with usb_printer(fake) as printer:
        assert printer.status() is PrinterStatus.OK
        fake.plugged = False
        with pytest.raises(PrinterUnavailable, match="status query failed") as info:
            printer.print_ticket(din_view("en"))
        assert type(info.value.__cause__) is usb.core.USBError
        with pytest.raises(PrinterUnavailable, match="can't open"):
            printer.print_ticket(din_view("en"))
        assert printer.status() is PrinterStatus.OFFLINE
        fake.plugged = True
        assert printer.print_ticket(din_view("en")).status is PrinterStatus.OK


def test_printer_over_usb_with_a_wrong_endpoint_is_unavailable(din_view: Callable[..., TicketView]) -> None:
    """An ``out_ep`` the device doesn't have is a clear error, not pyusb's ValueError."""
    with (
        usb_printer(UsbPrinter(READY), f"{USB_URL}&out_ep=0x03") as printer,
        pytest.raises(PrinterUnavailable, match="0x3"),
    ):
        printer.print_ticket(din_view("en"))
