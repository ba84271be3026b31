"""Draw cop's small mark as cop/static/favicon.ico (a 32 x 32 PNG inside an ICO), to match favicon.svg.

Run from the repository's root: python assets/favicon.py. Standard library only; the output is committed.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

SIZE = 32
BLUE = (29, 112, 184)
WHITE = (255, 255, 255)
#: Three people around a table: the circles of favicon.svg, in a 32-pixel grid (x, y, radius).
CIRCLES = ((10.5, 12.0, 4.6), (21.5, 12.0, 4.6), (16.0, 21.5, 4.6))
CORNER = 6.0


def pixel(x: float, y: float) -> tuple[int, int, int, int]:
    """The colour at a pixel's centre: white circles on a blue rounded square, transparent outside it."""
    cx, cy = x + 0.5, y + 0.5
    dx = max(CORNER - cx, 0, cx - (SIZE - CORNER))
    dy = max(CORNER - cy, 0, cy - (SIZE - CORNER))
    if dx * dx + dy * dy > CORNER * CORNER:
        return (0, 0, 0, 0)
    for px, py, r in CIRCLES:
        if (cx - px) ** 2 + (cy - py) ** 2 <= r * r:
            return (*WHITE, 255)
    return (*BLUE, 255)


def png() -> bytes:
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(SIZE)) for y in range(SIZE))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def ico(image: bytes) -> bytes:
    """An ICO file holding one PNG image, as every current browser reads."""
    return struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", SIZE, SIZE, 0, 0, 1, 32, len(image), 6 + 16) + image


if __name__ == "__main__":
    target = Path("cop/static/favicon.ico")
    target.write_bytes(ico(png()))
    print(f"wrote {target} ({target.stat().st_size} bytes)")
