"""Glyphs for the style's labels, served locally (`/maps/fonts/{fontstack}/{start}-{end}.pbf`): MapLibre's SDF glyph
ranges, rendered on demand from the machine's fonts (Debian's fonts-wqy-microhei for Chinese, fonts-dejavu-core).

FreeType (bundled with freetype-py) renders each glyph as a signed distance field from its outline; this module
only crops and rescales it to the convention MapLibre's glyphs follow (fontnik's: 24 px, a 3 px buffer, 8 px of
distance, the edge at 191) and writes the small protobuf by hand. No Python package builds glyph ranges, and the
npm one (fontnik) needs a native build that downloads its binaries."""

from __future__ import annotations

import ctypes
import os
import threading
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

import freetype
import numpy as np
from freetype.raw import FT_Property_Set

from geo_core.errors import NotFoundError

SIZE = 24  # pixels: the size MapLibre scales glyphs from
# MapLibre counts a glyph's `top` from an origin above the baseline: fontnik's ranges subtract each font's ascender,
# and MapLibre draws CJK ideographs locally with their top less 27.5 px. One origin for every font, at that height,
# keeps a label that mixes Latin and Chinese (储罐2号) on one baseline, whether its ideographs come from here or are
# drawn in the browser.
ORIGIN = 28
BUFFER = 3  # pixels around each glyph's box
FT_SPREAD = 4  # pixels of distance FreeType computes (it pads the bitmap by as much): 128 at the edge, 32 a pixel
FT_RENDER_MODE_SDF = 5
FONT_SUFFIXES = (".ttf", ".ttc", ".otf")
DEFAULT_STACK = ("DejaVu Sans Book", "WenQuanYi Micro Hei Regular")  # Latin from DejaVu, the rest from WenQuanYi


@dataclass(frozen=True)
class Glyph:
    id: int
    bitmap: bytes  # (width + 6) x (height + 6) bytes, empty for a blank glyph
    width: int
    height: int
    left: int
    top: int
    advance: int


class Font:
    """One face, loaded once; FreeType faces are not safe to share between threads, hence the lock."""

    def __init__(self, path: str, index: int):
        _spread()
        self.face = freetype.Face(path, index)
        self.face.set_pixel_sizes(0, SIZE)
        self.lock = threading.Lock()

    def has(self, cp: int) -> bool:
        return self.face.get_char_index(cp) != 0

    def glyph(self, cp: int) -> Glyph:
        with self.lock:
            self.face.load_char(cp, freetype.FT_LOAD_NO_HINTING)
            slot = self.face.glyph
            advance = round(slot.metrics.horiAdvance / 64)
            slot.render(FT_RENDER_MODE_SDF)
            b = slot.bitmap
            if b.width <= 2 * FT_SPREAD or b.rows <= 2 * FT_SPREAD:  # blank (a space)
                return Glyph(cp, b"", 0, 0, 0, 0, advance)
            field = np.array(b.buffer, dtype=np.uint8).reshape(b.rows, b.pitch)[:, : b.width]
            left, top = slot.bitmap_left + FT_SPREAD, slot.bitmap_top - FT_SPREAD - ORIGIN
        cut = FT_SPREAD - BUFFER
        field = field[cut : b.rows - cut, cut : b.width - cut].astype(np.int16)
        # FreeType: 128 + 32 / px inside. MapLibre: 191 + 32 / px inside (255 - (64 + 32 * outside distance)).
        sdf = np.clip(field + 63, 0, 255).astype(np.uint8)
        return Glyph(cp, sdf.tobytes(), b.width - 2 * FT_SPREAD, b.rows - 2 * FT_SPREAD, left, top, advance)


@cache
def _spread() -> None:
    """4 px instead of FreeType's 8: the 3 px buffer is all MapLibre reads, and the field costs 3x less."""
    spread = ctypes.c_int(FT_SPREAD)
    if FT_Property_Set(freetype.get_handle(), b"sdf", b"spread", ctypes.byref(spread)):
        raise RuntimeError("FreeType refused the SDF spread")


@cache
def fonts() -> dict[str, tuple[str, int]]:
    """Font name ("Family Style", as style sheets name them) -> (file, face index), from GEO_FONT_DIRS."""
    found: dict[str, tuple[str, int]] = {}
    for d in os.environ.get("GEO_FONT_DIRS", "/usr/share/fonts").split(os.pathsep):
        for path in sorted(Path(d).rglob("*")):
            if path.suffix.lower() not in FONT_SUFFIXES:
                continue
            try:
                n = freetype.Face(str(path)).num_faces
                for i in range(n):
                    face = freetype.Face(str(path), i)
                    name = f"{face.family_name.decode()} {face.style_name.decode()}"
                    found.setdefault(name, (str(path), i))
            except (freetype.FT_Exception, UnicodeDecodeError):
                continue
    return found


@cache
def _font(name: str) -> Font:
    return Font(*fonts()[name])


def stack(fontstack: str) -> tuple[str, ...]:
    """The fonts we have of a requested stack ("A,B"), in its order; NotFoundError naming what we have otherwise."""
    names = tuple(n.strip() for n in fontstack.split(",") if n.strip() in fonts())
    if not names:
        raise NotFoundError(f"no font of {fontstack[:80]!r} here; the style's fonts are the ones to ask for")
    return names


@lru_cache(maxsize=512)
def glyph_range(names: tuple[str, ...], start: int) -> bytes:
    """The protobuf of glyphs start..start+255: each code point from the first font of the stack holding it."""
    if start % 256 or not 0 <= start <= 65280:
        raise ValueError(f"a glyph range starts at a multiple of 256 up to 65280, not {start}")
    faces = [_font(n) for n in names]
    glyphs = []
    for cp in range(start, start + 256):
        face = next((f for f in faces if f.has(cp)), None)
        if face is not None:
            glyphs.append(_message(3, _encode(face.glyph(cp))))
    body = _string(1, ",".join(names)) + _string(2, f"{start}-{start + 255}") + b"".join(glyphs)
    return _message(1, body)


# --- the protobuf of MapLibre's glyphs.proto, by hand (a dozen lines; no generated code to keep) ----------------


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _uint(field: int, n: int) -> bytes:
    return _varint(field << 3) + _varint(n)


def _sint(field: int, n: int) -> bytes:
    return _uint(field, (n << 1) ^ (n >> 63))  # zigzag


def _message(field: int, data: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(data)) + data


def _string(field: int, text: str) -> bytes:
    return _message(field, text.encode())


def _encode(g: Glyph) -> bytes:
    out = _uint(1, g.id)
    if g.bitmap:
        out += _message(2, g.bitmap)
    return out + _uint(3, g.width) + _uint(4, g.height) + _sint(5, g.left) + _sint(6, g.top) + _uint(7, g.advance)
