"""
A small ESC/POS decoder for the tests, written from the command reference.

It shares no code with ``hardware/``: it turns the bytes that reached the far
end of a pty or socket back into what a printer would do with them — text lines
(decoded from the selected code page), raster images (``GS v 0``), QR codes
(``GS ( k``), feeds and cuts. Commands it doesn't know raise ``DecodeError``, so
a test notices anything unexpected on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# ESC t n slot numbers of the Epson command reference.
CODE_PAGES = {0: "cp437", 2: "cp850", 3: "cp860", 13: "cp857", 16: "cp1252", 17: "cp866", 46: "cp1251"}


class DecodeError(Exception):
    pass


@dataclass
class TextLine:
    text: str
    codepages: tuple[str, ...]
    bold: bool
    width: int
    height: int
    align: int


@dataclass
class Raster:
    width: int  # dots
    height: int
    data: bytes

    @property
    def ink(self) -> int:
        """Number of black dots."""
        return sum(bin(byte).count("1") for byte in self.data)

    def row(self, y: int) -> str:
        """One row as text art, '#' for ink."""
        stride = self.width // 8
        bits = "".join(f"{b:08b}" for b in self.data[y * stride : (y + 1) * stride])
        return bits.replace("0", ".").replace("1", "#")


@dataclass
class QRCode:
    data: str
    module: int
    ec: str


@dataclass
class Cut:
    partial: bool


@dataclass
class Feed:
    dots: int


@dataclass
class StatusQuery:
    n: int


@dataclass
class Decoded:
    items: list[object] = field(default_factory=list)
    resets: int = 0

    @property
    def lines(self) -> list[TextLine]:
        return [i for i in self.items if isinstance(i, TextLine)]

    @property
    def texts(self) -> list[str]:
        return [line.text for line in self.lines]

    @property
    def rasters(self) -> list[Raster]:
        return [i for i in self.items if isinstance(i, Raster)]

    @property
    def qrcodes(self) -> list[QRCode]:
        return [i for i in self.items if isinstance(i, QRCode)]

    @property
    def cuts(self) -> list[Cut]:
        return [i for i in self.items if isinstance(i, Cut)]


def decode(data: bytes) -> Decoded:
    out = Decoded()
    codec = "cp437"
    bold = False
    width = height = 1
    align = 0
    line = ""
    pages: list[str] = []
    qr_module, qr_ec = 3, "L"
    qr_data = b""
    i = 0

    def need(count: int) -> bytes:
        if i + count > len(data):
            raise DecodeError(f"truncated command at {i}: {data[i : i + 8]!r}")
        return data[i : i + count]

    def end_line() -> None:
        nonlocal line, pages
        out.items.append(TextLine(line, tuple(pages), bold, width, height, align))
        line, pages = "", []

    while i < len(data):
        b = data[i]
        if b == 0x0A:
            end_line()
            i += 1
        elif b >= 0x20:
            j = i
            while j < len(data) and data[j] >= 0x20:
                j += 1
            line += data[i:j].decode(codec)
            if codec not in pages:
                pages.append(codec)
            i = j
        elif b == 0x1B:
            cmd = need(2)[1]
            if cmd == ord("@"):
                codec, bold, width, height, align = "cp437", False, 1, 1, 0
                out.resets += 1
                i += 2
            elif cmd == ord("2"):
                i += 2
            elif cmd in b"t!EG-a3dJM{V":
                arg = need(3)[2]
                i += 3
                if cmd == ord("t"):
                    if arg not in CODE_PAGES:
                        raise DecodeError(f"unknown code page slot {arg}")
                    codec = CODE_PAGES[arg]
                elif cmd == ord("!"):
                    bold = bool(arg & 0x08)
                    height = 2 if arg & 0x10 else 1
                    width = 2 if arg & 0x20 else 1
                elif cmd == ord("E"):
                    bold = bool(arg & 1)
                elif cmd == ord("a"):
                    align = arg % 48 if arg >= 48 else arg
                elif cmd == ord("d"):
                    out.items.append(Feed(arg * 30))
                elif cmd == ord("J"):
                    out.items.append(Feed(arg))
            else:
                raise DecodeError(f"unknown ESC {chr(cmd)!r} at {i}")
        elif b == 0x1D:
            cmd = need(2)[1]
            if cmd == ord("!"):
                arg = need(3)[2]
                width, height = (arg >> 4) + 1, (arg & 0x0F) + 1
                i += 3
            elif cmd == ord("v"):
                head = need(8)
                if head[2] != ord("0"):
                    raise DecodeError("GS v other than GS v 0")
                xbytes = head[4] | head[5] << 8
                rows = head[6] | head[7] << 8
                i += 8
                out.items.append(Raster(xbytes * 8, rows, need(xbytes * rows)))
                i += xbytes * rows
            elif cmd == ord("("):
                head = need(5)
                kind, length = head[2], head[3] | head[4] << 8
                i += 5
                body = need(length)
                i += length
                if kind != ord("k") or body[0] != 49:
                    raise DecodeError(f"GS ( {chr(kind)} not understood")
                fn = body[1]
                if fn == 67:
                    qr_module = body[2]
                elif fn == 69:
                    qr_ec = "LMQH"[body[2] - 48]
                elif fn == 80:
                    qr_data = body[3:]
                elif fn == 81:
                    out.items.append(QRCode(qr_data.decode("utf-8"), qr_module, qr_ec))
            elif cmd == ord("V"):
                mode = need(3)[2]
                i += 4 if mode in (65, 66) else 3
                out.items.append(Cut(partial=mode in (1, 49, 66)))
            else:
                raise DecodeError(f"unknown GS {chr(cmd)!r} at {i}")
        elif b == 0x10:
            query = need(3)
            if query[1] != 0x04:
                raise DecodeError(f"unknown DLE command {query!r}")
            out.items.append(StatusQuery(query[2]))
            i += 3
        else:
            raise DecodeError(f"unexpected control byte 0x{b:02x} at {i}")
    if line:
        end_line()
    return out
