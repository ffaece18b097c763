"""Counter board frames, byte for byte (hardware/serial_frames.py)."""

from __future__ import annotations

import pytest

from hardware.exceptions import FrameError
from hardware.serial_frames import (
    BoardCommand,
    BoardFrame,
    FrameFormat,
    FrameReader,
    checksum,
    decode_frame,
    encode_frame,
)


def test_frame_default_format_is_exact() -> None:
    """The documented example: board 12 shows A015."""
    assert encode_frame(12, BoardCommand.SHOW, "A015") == bytes.fromhex("02 3132 53 2041303135 3035 03")
    assert (
        encode_frame(3, BoardCommand.BLINK, "B7")
        == b"\x0203B   B7" + b"%02X" % (0x30 ^ 0x33 ^ 0x42 ^ 0x20 ^ 0x20 ^ 0x20 ^ 0x42 ^ 0x37) + b"\x03"
    )
    assert (
        encode_frame(7, BoardCommand.CLEAR)
        == b"\x0207C     " + b"%02X" % (0x30 ^ 0x37 ^ 0x43 ^ 0x20 ^ 0x20 ^ 0x20 ^ 0x20 ^ 0x20) + b"\x03"
    )
    assert encode_frame(0, BoardCommand.CLEAR)[1:3] == b"00"  # broadcast


def test_frame_checksums() -> None:
    data = b"\x01\x02\xff"
    assert checksum(data, "xor") == 0xFC
    assert checksum(data, "sum8") == 0x02
    assert checksum(data, "lrc") == 0xFE
    assert checksum(data, "none") == 0


def test_frame_binary_variant() -> None:
    """A maker's binary format: one address byte, sum8 as a byte, left-aligned 4 digits, no STX."""
    fmt = FrameFormat(
        start=b"\xaa",
        end=b"\x55",
        address="byte",
        width=4,
        align="left",
        checksum="sum8",
        checksum_form="byte",
    )
    frame = encode_frame(200, BoardCommand.SHOW, "A15", fmt)
    body = b"\xc8SA15 "
    assert frame == b"\xaa" + body + bytes((sum(body) & 0xFF,)) + b"\x55"
    assert len(frame) == fmt.frame_length
    assert decode_frame(frame, fmt) == BoardFrame(200, BoardCommand.SHOW, "A15 ")


def test_frame_three_digit_addresses_and_centered_text() -> None:
    fmt = FrameFormat(address="ascii3", align="center", width=6, checksum="none")
    assert encode_frame(81, BoardCommand.SHOW, "A15", fmt) == b"\x02081S A15  \x03"


@pytest.mark.parametrize(
    "fmt",
    [
        FrameFormat(),
        FrameFormat(checksum="lrc"),
        FrameFormat(address="byte", checksum_form="byte", checksum="sum8"),
    ],
)
def test_frame_decodes_what_it_encodes(fmt: FrameFormat) -> None:
    for command in BoardCommand:
        frame = encode_frame(42, command, "K123", fmt)
        decoded = decode_frame(frame, fmt)
        assert decoded.address == 42
        assert decoded.command is command
        assert decoded.text.strip() == ("" if command is BoardCommand.CLEAR else "K123")


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (b"\x0212S A01506\x03", "checksum"),
        (b"\x0212S A0150\x03", "bytes, expected"),
        (b"\x0312S A01505\x02", "start"),
        (
            b"\x02xyS A015"
            + b"%02X" % (ord("x") ^ ord("y") ^ 0x53 ^ 0x20 ^ 0x41 ^ 0x30 ^ 0x31 ^ 0x35)
            + b"\x03",
            "decimal",
        ),
        (
            b"\x0212Q A015" + b"%02X" % (0x31 ^ 0x32 ^ ord("Q") ^ 0x20 ^ 0x41 ^ 0x30 ^ 0x31 ^ 0x35) + b"\x03",
            "command",
        ),
        (b"\x0212S A015zz\x03", "hexadecimal"),
    ],
)
def test_frame_rejects_damaged_frames(frame: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message) as info:
        decode_frame(frame)
    assert info.value.code == "frame_invalid"


@pytest.mark.parametrize(
    ("address", "text", "message"),
    [
        (100, "A1", "outside"),
        (-1, "A1", "outside"),
        (1, "A12345", "longer"),
        (1, "Ə1", "can't be written"),
        (1, "\x1b", "control"),
    ],
)
def test_frame_refuses_what_a_board_cannot_show(address: int, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encode_frame(address, BoardCommand.SHOW, text)


@pytest.mark.parametrize(
    ("address", "marker"), [(2, "0x02, which marks the start"), (3, "0x03, which marks the end")]
)
def test_frame_refuses_a_binary_address_that_is_a_frame_marker(address: int, marker: str) -> None:
    """With address=byte, board 2 would go out as STX: refused, never sent."""
    fmt = FrameFormat(address="byte")
    assert fmt.address_problem(address) == (
        f"board address {address} is sent as byte {marker} of a frame; set the board to another address"
    )
    with pytest.raises(ValueError, match="marks the"):
        encode_frame(address, BoardCommand.SHOW, "A1", fmt)
    assert fmt.address_problem(4) is None
    assert FrameFormat(address="byte", start=b"\xaa", end=b"\x55").address_problem(0x55) is not None
    assert FrameFormat().address_problem(2) is None  # "02" in ASCII digits


def test_frame_format_rejects_bad_options() -> None:
    with pytest.raises(ValueError, match="checksum"):
        FrameFormat(checksum="crc99")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="different"):
        FrameFormat(show=b"S", blink=b"S")
    with pytest.raises(ValueError, match="width"):
        FrameFormat(width=0)


def test_frame_reader_splits_a_stream_and_resyncs() -> None:
    """Noise, a frame cut in two, a damaged frame, then a good one: the reader finds the good ones."""
    first = encode_frame(1, BoardCommand.SHOW, "A001")
    second = encode_frame(2, BoardCommand.BLINK, "B002")
    damaged = first[:-3] + b"00\x03"
    reader = FrameReader()
    stream = b"\xff\x00noise" + first + damaged + second[:5]
    frames = list(reader.feed(stream))
    frames += list(reader.feed(second[5:]))
    assert [(f.address, f.command, f.text) for f in frames] == [
        (1, BoardCommand.SHOW, " A001"),
        (2, BoardCommand.BLINK, " B002"),
    ]
    assert reader.errors == 1
