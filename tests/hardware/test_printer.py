"""Ticket printers through python-escpos's Serial (pty), Network (TCP) and File classes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from hardware.exceptions import CoverOpen, PaperOut, PrinterTimeout, PrinterUnavailable
from hardware.printer import PrinterStatus, decode_status, open_printer, parse_printer_url
from hardware.ticket import TicketView

from .conftest import COVER_OPEN, OFFLINE, PAPER_LOW, PAPER_OUT, READY, PtyPrinter, TcpPrinter
from .escpos_decode import QRCode, StatusQuery, decode

FAST = "timeout=2&status_timeout=0.2"


def serial_url(fake: PtyPrinter, options: str = FAST) -> str:
    return f"serial://{fake.path}?baudrate=115200&{options}"


# -- serial -------------------------------------------------------------------


def test_printer_prints_over_serial(
    pty_printer: Callable[..., PtyPrinter], din_view: Callable[..., TicketView]
) -> None:
    """The bytes that reach the far end decode back into the ticket, between two status checks."""
    fake = pty_printer(READY)
    with open_printer(serial_url(fake)) as printer:
        result = printer.print_ticket(din_view("ru"))
    assert result.status is PrinterStatus.OK
    assert result.png_path is None
    out = decode(fake.wait_for(lambda data: data.count(b"\x10\x04") >= 4))
    queries = [item.n for item in out.items if isinstance(item, StatusQuery)]
    assert queries == [1, 4, 1, 4]  # before and after the ticket
    assert "Министерство внутренних дел" in out.texts
    assert "A015" in out.texts
    assert out.qrcodes == [QRCode("https://novbe.example/t/20261123-A015", 6, "M")]
    assert len(out.cuts) == 1
    assert any(r.ink > 100 for r in out.rasters)
    assert len(fake.answerer.job_bytes()) == result.bytes_sent


@pytest.mark.parametrize(("profile", "dots", "columns"), [("TM-T88V", 512, 42), ("TM-T20II", 576, 48)])
def test_printer_draws_the_ticket_at_the_profile_width(
    pty_printer: Callable[..., PtyPrinter],
    din_view: Callable[..., TicketView],
    profile: str,
    dots: int,
    columns: int,
) -> None:
    """An 80 mm layout on a 512-dot TM-T88V sends no image wider than 512 dots."""
    fake = pty_printer(READY)
    with open_printer(serial_url(fake, f"{FAST}&profile={profile}"), paper_mm=80) as printer:
        assert (printer.layout.dots, printer.layout.columns) == (dots, columns)
        printer.print_ticket(din_view("az"))
    out = decode(fake.wait_for(lambda data: data.count(b"\x10\x04") >= 4))
    assert out.rasters
    assert max(r.width for r in out.rasters) == dots  # full-width rules, at the printer's width
    assert all(len(line.text) * line.width <= columns for line in out.lines)


def test_printer_profile_narrows_a_layout_but_never_widens_it() -> None:
    assert open_printer("file:///dev/null?profile=TM-T88V", paper_mm=58).layout.dots == 384
    assert open_printer("file:///dev/null?profile=TM-T88V", paper_mm=80).layout.dots == 512
    assert open_printer("file:///dev/null", paper_mm=80).layout.dots == 576  # default profile: no width


def test_printer_virtual_renders_at_the_profile_width(
    tmp_path: Path, din_view: Callable[..., TicketView]
) -> None:
    narrow = open_printer(f"virtual://{tmp_path}/512?profile=TM-T88V").print_ticket(din_view("az"))
    wide = open_printer(f"virtual://{tmp_path}/576").print_ticket(din_view("az"))
    assert narrow.png_path is not None
    assert wide.png_path is not None
    with Image.open(narrow.png_path) as a, Image.open(wide.png_path) as b:
        assert a.width == b.width == 640  # 80 mm of paper
        assert _inked_width(a) <= 512 < _inked_width(b) <= 576


def _inked_width(image: Image.Image) -> int:
    """Width of the printed part of a rendered ticket (the frame's grey outline excluded)."""
    box = image.convert("L").point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box is not None
    return box[2] - box[0]


def test_printer_reports_paper_low_but_prints(
    pty_printer: Callable[..., PtyPrinter], din_view: Callable[..., TicketView]
) -> None:
    fake = pty_printer(PAPER_LOW)
    with open_printer(serial_url(fake)) as printer:
        assert printer.status() is PrinterStatus.PAPER_LOW
        result = printer.print_ticket(din_view("az"))
    assert result.status is PrinterStatus.PAPER_LOW
    assert len(decode(fake.wait_for(lambda d: len(d) > result.bytes_sent)).cuts) == 1


@pytest.mark.parametrize(
    ("answers", "error", "code", "status"),
    [
        (PAPER_OUT, PaperOut, "paper_out", PrinterStatus.PAPER_OUT),
        (COVER_OPEN, CoverOpen, "cover_open", PrinterStatus.COVER_OPEN),
        (OFFLINE, PrinterUnavailable, "printer_unavailable", PrinterStatus.OFFLINE),
    ],
)
def test_printer_refuses_to_print_when_not_ready(
    pty_printer: Callable[..., PtyPrinter],
    din_view: Callable[..., TicketView],
    answers: dict[int, int],
    error: type[Exception],
    code: str,
    status: PrinterStatus,
) -> None:
    """A printer that says it can't print gets no ticket, and the caller gets a typed error."""
    fake = pty_printer(answers)
    with open_printer(serial_url(fake)) as printer:
        assert printer.status() is status
        with pytest.raises(error) as info:
            printer.print_ticket(din_view("ru"))
    assert info.value.code == code  # type: ignore[attr-defined]
    assert fake.path in str(info.value)
    time.sleep(0.05)
    assert fake.answerer.job_bytes() == b"", "ticket bytes were sent to a printer that can't print"


def test_printer_times_out_when_the_printer_never_answers(
    pty_printer: Callable[..., PtyPrinter], din_view: Callable[..., TicketView]
) -> None:
    fake = pty_printer(None)
    with open_printer(serial_url(fake)) as printer:
        started = time.monotonic()
        with pytest.raises(PrinterTimeout) as info:
            printer.print_ticket(din_view("ru"))
        assert time.monotonic() - started < 1.0  # one status timeout, not python-escpos's 1 s reads
        assert info.value.code == "printer_timeout"
        assert printer.status() is PrinterStatus.OFFLINE
    assert fake.answerer.job_bytes() == b""


def test_printer_paper_running_out_during_the_ticket_is_an_error(
    pty_printer: Callable[..., PtyPrinter], din_view: Callable[..., TicketView]
) -> None:
    """The check after the write catches a roll that ended under the ticket."""
    fake = pty_printer(READY)
    with open_printer(serial_url(fake)) as printer:
        original = fake.answerer.take

        def run_out(chunk: bytes) -> bytes:
            if b"\x1dV" in fake.answerer.received + chunk:  # the cut has arrived
                fake.answers = PAPER_OUT
            return original(chunk)

        fake.answerer.take = run_out  # type: ignore[method-assign]
        with pytest.raises(PaperOut):
            printer.print_ticket(din_view("ru"))


def test_printer_recovers_after_paper_is_loaded(
    pty_printer: Callable[..., PtyPrinter], din_view: Callable[..., TicketView]
) -> None:
    fake = pty_printer(PAPER_OUT)
    with open_printer(serial_url(fake)) as printer:
        with pytest.raises(PaperOut):
            printer.print_ticket(din_view("ru"))
        fake.answers = READY
        assert printer.print_ticket(din_view("ru")).status is PrinterStatus.OK


def test_printer_that_cannot_be_opened_is_unavailable(
    tmp_path: Path, din_view: Callable[..., TicketView]
) -> None:
    printer = open_printer(f"serial://{tmp_path}/ttyUSB9?{FAST}")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterUnavailable, match="can't open"):
        printer.print_ticket(din_view("ru"))


def test_printer_without_status_checks_sends_no_queries(
    pty_printer: Callable[..., PtyPrinter], din_view: Callable[..., TicketView]
) -> None:
    fake = pty_printer(None)
    with open_printer(serial_url(fake, f"{FAST}&check=0")) as printer:
        result = printer.print_ticket(din_view("en"))
        assert printer.status() is PrinterStatus.UNKNOWN
    assert result.status is PrinterStatus.UNKNOWN
    data = fake.wait_for(lambda d: len(d) >= result.bytes_sent)
    assert b"\x10\x04" not in data


# -- network ------------------------------------------------------------------


def test_printer_prints_over_tcp(
    tcp_printer: Callable[..., TcpPrinter], din_view: Callable[..., TicketView]
) -> None:
    fake = tcp_printer(READY)
    printer = open_printer(f"{fake.url}?{FAST}")
    result = printer.print_ticket(din_view("en"))
    assert printer.status() is PrinterStatus.OK
    printer.close()
    assert result.status is PrinterStatus.OK
    deadline = time.monotonic() + 2
    while len(fake.received()) < result.bytes_sent and time.monotonic() < deadline:
        time.sleep(0.01)
    out = decode(fake.received())
    assert "Ministry of Internal Affairs" in out.texts
    assert "Identity card issuance" in out.texts
    assert len(out.cuts) == 1
    assert any(r.ink > 100 for r in out.rasters)  # the Azerbaijani lines
    assert len(fake.connections) == 2  # one connection per job: printers serve one client at a time


@pytest.mark.parametrize(("answers", "error"), [(PAPER_OUT, PaperOut), (None, PrinterTimeout)])
def test_printer_over_tcp_reports_failures(
    tcp_printer: Callable[..., TcpPrinter],
    din_view: Callable[..., TicketView],
    answers: dict[int, int] | None,
    error: type[Exception],
) -> None:
    fake = tcp_printer(answers)
    printer = open_printer(f"{fake.url}?{FAST}")
    with pytest.raises(error):
        printer.print_ticket(din_view("en"))
    time.sleep(0.05)
    assert b"\x1dV" not in fake.received()


def test_printer_over_tcp_refused_is_unavailable(din_view: Callable[..., TicketView]) -> None:
    fake = TcpPrinter()
    url = fake.url
    fake.close()
    printer = open_printer(f"{url}?{FAST}")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterUnavailable):
        printer.print_ticket(din_view("en"))


# -- device file, USB, virtual -------------------------------------------------


def test_printer_writes_a_device_file(tmp_path: Path, din_view: Callable[..., TicketView]) -> None:
    target = tmp_path / "lp0"
    with open_printer(f"file://{target}", paper_mm=58) as printer:
        result = printer.print_ticket(din_view("ru"))
        assert printer.status() is PrinterStatus.UNKNOWN
    assert result.status is PrinterStatus.UNKNOWN
    out = decode(target.read_bytes())
    assert "Министерство внутренних дел" in out.texts
    assert len(out.cuts) == 1


def test_printer_file_in_missing_directory_is_unavailable(
    tmp_path: Path, din_view: Callable[..., TicketView]
) -> None:
    with pytest.raises(PrinterUnavailable):
        open_printer(f"file://{tmp_path}/no/such/lp0").print_ticket(din_view("ru"))


def test_printer_usb_without_device_is_unavailable(din_view: Callable[..., TicketView]) -> None:
    printer = open_printer("usb://0x0416:0x5011")
    assert printer.status() is PrinterStatus.OFFLINE
    with pytest.raises(PrinterUnavailable, match=r"(can.t open|pyusb)"):
        printer.print_ticket(din_view("ru"))


def test_printer_virtual_renders_png(tmp_path: Path, din_view: Callable[..., TicketView]) -> None:
    printer = open_printer(f"virtual://{tmp_path}/out")
    result = printer.print_ticket(din_view("az"))
    assert result.png_path is not None
    assert result.png_path.is_file()
    assert result.png_path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert printer.status() is PrinterStatus.OK


def test_printer_virtual_can_pretend_paper_out(tmp_path: Path, din_view: Callable[..., TicketView]) -> None:
    printer = open_printer(f"virtual://{tmp_path}?simulate=paper_out")
    assert printer.status() is PrinterStatus.PAPER_OUT
    with pytest.raises(PaperOut):
        printer.print_ticket(din_view("az"))
    assert not list(tmp_path.iterdir())


# -- URLs and status bytes -------------------------------------------------------


def test_printer_urls_parse() -> None:
    serial = parse_printer_url("serial:///dev/ttyUSB0?baudrate=115200&flow=rtscts&status_timeout=0.1")
    assert (serial.target, serial.baudrate, serial.flow, serial.status_timeout) == (
        "/dev/ttyUSB0",
        115200,
        "rtscts",
        0.1,
    )
    assert parse_printer_url("usb://0x0416:0x5011").target == "0x0416:0x5011"
    tcp = parse_printer_url("tcp://192.168.1.50")
    assert (tcp.target, tcp.port) == ("192.168.1.50", 9100)
    assert parse_printer_url("tcp://printer.local:9101").port == 9101
    assert parse_printer_url("file:///dev/usb/lp0").target == "/dev/usb/lp0"
    assert parse_printer_url("virtual:///tmp/tickets").target == "/tmp/tickets"
    assert parse_printer_url("serial:///dev/ttyS0", timeout=1.5).timeout == 1.5


@pytest.mark.parametrize(
    "url",
    [
        "lpt://x",
        "usb://printer",
        "tcp://",
        "serial:///dev/ttyS0?flow=magic",
        "serial:///dev/ttyS0?baudrate=fast",
        "serial:///dev/ttyS0?colour=red",
        "file://",
        "serial:///dev/ttyS0?profile=TM-T88",
    ],
)
def test_printer_urls_reject_nonsense(url: str) -> None:
    with pytest.raises(ValueError, match="printer URL"):
        parse_printer_url(url)


def test_printer_status_bytes_decode() -> None:
    assert decode_status(0x12, None, 0x12) is PrinterStatus.OK
    assert decode_status(0x12, None, 0x1E) is PrinterStatus.PAPER_LOW
    assert decode_status(0x12, None, 0x72) is PrinterStatus.PAPER_OUT
    assert decode_status(0x1A, 0x32, 0x72) is PrinterStatus.PAPER_OUT
    assert decode_status(0x1A, 0x16, 0x12) is PrinterStatus.COVER_OPEN
    assert decode_status(0x1A, 0x12, 0x12) is PrinterStatus.OFFLINE
    assert decode_status(0x1A, None, None) is PrinterStatus.OFFLINE
