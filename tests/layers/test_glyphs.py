"""Glyph ranges for the style's labels, served locally: the protobuf MapLibre reads, each glyph a signed distance
field whose edge (191) traces the shape FreeType draws for the same letter, Chinese from WenQuanYi."""

from __future__ import annotations

from urllib.parse import quote

import freetype
import numpy as np
import pytest

from layers import glyphs

STACK = ",".join(glyphs.DEFAULT_STACK)


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """One protobuf message's (field, value) pairs: varints and length-delimited only (all glyphs.proto uses)."""
    out, i = [], 0

    def varint() -> int:
        nonlocal i
        n = shift = 0
        while True:
            b = data[i]
            i += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return n

    while i < len(data):
        key = varint()
        if key & 7 == 0:
            out.append((key >> 3, varint()))
        else:
            assert key & 7 == 2, key
            size = varint()
            out.append((key >> 3, data[i : i + size]))
            i += size
    return out


def _decode(data: bytes) -> tuple[str, str, dict[int, dict]]:
    [(field, stack)] = _fields(data)
    assert field == 1
    parts = _fields(stack)
    name = next(v for f, v in parts if f == 1).decode()
    rng = next(v for f, v in parts if f == 2).decode()
    out = {}
    for f, v in parts:
        if f == 3:
            g = dict(_fields(v))
            zig = {k: (g[k] >> 1) ^ -(g[k] & 1) for k in (5, 6)}
            out[g[1]] = {
                "bitmap": g.get(2, b""),
                "width": g[3],
                "height": g[4],
                "left": zig[5],
                "top": zig[6],
                "advance": g[7],
            }
    return name, rng, out


def _get(client, stack: str, start: int):
    return client.get(f"/maps/fonts/{quote(stack)}/{start}-{start + 255}.pbf")


def test_latin_range_decodes_and_each_field_traces_its_letter(client):
    r = _get(client, STACK, 0)  # no sign-in: fonts hold no data
    assert r.status_code == 200
    assert r["Content-Type"] == "application/x-protobuf"
    name, rng, found = _decode(r.content)
    assert (name, rng) == (STACK, "0-255")
    assert {ord(c) for c in "AZaz09 ,.-()"} <= set(found)
    assert found[ord(" ")]["bitmap"] == b""
    assert found[ord(" ")]["advance"] > 0
    face = freetype.Face(*glyphs.fonts()["DejaVu Sans Book"])
    face.set_pixel_sizes(0, glyphs.SIZE)
    for letter in "AgQ8":
        g = found[ord(letter)]
        w, h = g["width"] + 2 * glyphs.BUFFER, g["height"] + 2 * glyphs.BUFFER
        sdf = np.frombuffer(g["bitmap"], np.uint8).reshape(h, w)
        # the same letter drawn by FreeType as coverage, placed on the field's pixel grid by the glyph's metrics
        face.load_char(letter, freetype.FT_LOAD_NO_HINTING)
        face.glyph.render(freetype.FT_RENDER_MODE_NORMAL)
        b = face.glyph.bitmap
        cover = np.zeros((h, w))
        y0 = g["top"] + glyphs.ORIGIN + glyphs.BUFFER - face.glyph.bitmap_top
        x0 = face.glyph.bitmap_left - g["left"] + glyphs.BUFFER
        cover[y0 : y0 + b.rows, x0 : x0 + b.width] = np.array(b.buffer, np.uint8).reshape(b.rows, b.pitch)[:, : b.width]
        inside, drawn = sdf >= 191, cover >= 128
        assert (inside & drawn).sum() / (inside | drawn).sum() > 0.85, letter
        assert sdf[0].max() < 191
        assert sdf[-1].max() < 191
        assert 0 < g["advance"] <= glyphs.SIZE
    # the field's slope: 32 a pixel, as MapLibre reads it (across the stem of an "l", whose edges are known)
    face.load_char("l", freetype.FT_LOAD_NO_HINTING)
    x0 = face.glyph.metrics.horiBearingX / 64
    x1 = x0 + face.glyph.metrics.width / 64
    g = found[ord("l")]
    w, h = g["width"] + 2 * glyphs.BUFFER, g["height"] + 2 * glyphs.BUFFER
    row = np.frombuffer(g["bitmap"], np.uint8).reshape(h, w)[h // 2].astype(float)
    centres = g["left"] - glyphs.BUFFER + np.arange(w) + 0.5
    expected = np.clip(191 + 32 * np.minimum(centres - x0, x1 - centres), 0, 255)
    assert np.abs(row - expected).max() < 6, (row, expected)


def test_chinese_comes_from_wenquanyi(client):
    start = ord("园") // 256 * 256
    _, rng, found = _decode(_get(client, STACK, start).content)
    assert rng == f"{start}-{start + 255}"
    for c in "园区":
        if ord(c) in found:
            g = found[ord(c)]
            assert len(g["bitmap"]) == (g["width"] + 6) * (g["height"] + 6)
            assert np.frombuffer(g["bitmap"], np.uint8).max() > 191
            assert g["advance"] >= 20  # full width
    assert ord("园") in found


def test_style_fonts_are_all_served(client):
    style = client.get("/maps/style.json").json()
    assert style["glyphs"].endswith("/maps/fonts/{fontstack}/{range}.pbf")
    stacks = {
        ",".join(layer["layout"]["text-font"]) for layer in style["layers"] if "text-field" in layer.get("layout", {})
    }
    assert stacks
    for stack in stacks:
        assert _get(client, stack, 0).status_code == 200


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/maps/fonts/Comic%20Sans%20Bold/0-255.pbf", 404, "the style's fonts"),  # the machine's fonts unlisted
        ("/maps/fonts/DejaVu%20Sans%20Book/10-265.pbf", 400, "multiple of 256"),
        ("/maps/fonts/DejaVu%20Sans%20Book/0-511.pbf", 400, "256 code points"),
    ],
)
def test_bad_requests_say_why(client, path, status, says):
    r = client.get(path)
    assert r.status_code == status
    assert says in r.content.decode()


def test_latin_and_chinese_glyphs_share_one_baseline(client):
    """A label mixing both (储罐2号): each glyph's top counts from the same origin above the baseline, whichever font
    drew it, and from where MapLibre puts the ideographs it draws itself (their top less 27.5 px)."""
    _, _, latin = _decode(_get(client, STACK, 0).content)
    start = ord("号") // 256 * 256
    _, _, cjk = _decode(_get(client, STACK, start).content)
    for font, c, found in (("DejaVu Sans Book", "2", latin), ("WenQuanYi Micro Hei Regular", "号", cjk)):
        face = freetype.Face(*glyphs.fonts()[font])
        face.set_pixel_sizes(0, glyphs.SIZE)
        face.load_char(c, freetype.FT_LOAD_NO_HINTING)
        assert found[ord(c)]["top"] == face.glyph.bitmap_top - glyphs.ORIGIN, c
    assert abs(glyphs.ORIGIN - 27.5) <= 0.5
