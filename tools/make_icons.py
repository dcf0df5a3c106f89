#!/usr/bin/env python3
"""Draw Simvid Desktop's application icon and toolbar icons with Pillow.

Usage:
    python tools/make_icons.py [OUTPUT_DIR]      # default: resources/icons

Outputs:
    simvid.png      512x512 application icon (RGBA)
    simvid.ico      Windows icon, 16/24/32/48/64/128/256 px
    simvid.icns     macOS icon, 16..1024 px (PNG-based ICNS, written directly)
    <name>.png      64x64 toolbar icons, transparent background

Each size of the application icon is drawn on its own at 4x and scaled down
(the toolbar icons are drawn at 8x). Small sizes get simpler artwork so they
stay clear at 16 px.

The toolbar icons are light-grey outlines with round caps and joins. A thin,
soft dark rim around each stroke lets the same file read on dark and on light
toolbars.

Needs only Pillow and numpy. Everything is drawn from code. The output is
CC0 1.0.
"""

from __future__ import annotations

import io
import itertools
import math
import struct
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter

# --------------------------------------------------------------------------
# Application icon
# --------------------------------------------------------------------------

GRAD_STOPS = [  # diagonal gradient, top-left -> bottom-right
    (0.00, (124, 77, 255)),  # violet
    (0.55, (59, 110, 246)),  # blue
    (1.00, (14, 190, 220)),  # cyan
]
FILM = (17, 20, 44)
SKY_TOP, SKY_BOTTOM = (255, 214, 153), (255, 150, 135)  # warm sunset
SUN = (255, 246, 214)
MOUNTAIN_BACK, MOUNTAIN_FRONT = (116, 86, 220), (62, 52, 160)
ACCENT = (92, 84, 245)


def _lerp(a, b, t):
    return tuple(round(x + (y - x) * t) for x, y in zip(a, b, strict=False))


def _gradient(size: int) -> Image.Image:
    """Diagonal gradient across the multi-stop palette."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / max(1, size - 1)
    t = xx * 0.55 + yy * 0.45
    t = (t - t.min()) / (t.max() - t.min())
    out = np.zeros((size, size, 3), np.float32)
    for (t0, c0), (t1, c1) in itertools.pairwise(GRAD_STOPS):
        m = (t >= t0) & (t <= t1)
        u = ((t - t0) / (t1 - t0))[m][:, None]
        out[m] = np.array(c0) * (1 - u) + np.array(c1) * u
    return Image.fromarray(out.clip(0, 255).astype(np.uint8)).convert("RGB")


def _vgradient(w: int, h: int, top, bottom) -> Image.Image:
    t = np.linspace(0, 1, max(1, h), dtype=np.float32)[:, None, None]
    arr = np.array(top, np.float32) * (1 - t) + np.array(bottom, np.float32) * t
    return Image.fromarray(np.repeat(arr, max(1, w), axis=1).astype(np.uint8)).convert("RGB")


def _rounded_mask(size, box, radius) -> Image.Image:
    m = Image.new("L", (size, size), 0)
    ImageDraw.Draw(m).rounded_rectangle(box, radius=radius, fill=255)
    return m


def _paste_color(canvas: Image.Image, color, mask: Image.Image, alpha: float = 1.0) -> None:
    if alpha < 1.0:
        mask = mask.point(lambda v: int(v * alpha))
    layer = Image.new("RGBA", canvas.size, (*color, 255))
    layer.putalpha(mask)
    canvas.alpha_composite(layer)


def app_icon(size: int) -> Image.Image:
    """Render the application icon at `size` px (drawn at 4x, then scaled down)."""
    ss = 4
    S = size * ss
    u = S / 512.0  # design units: a 512 grid

    def b(x0, y0, x1, y1):
        return [x0 * u, y0 * u, x1 * u, y1 * u]

    detail = 3 if size >= 64 else (2 if size >= 32 else 1)
    canvas = Image.new("RGBA", (S, S), (0, 0, 0, 0))

    # Tile with a soft drop shadow (large sizes only).
    margin = 30 if detail == 3 else (14 if detail == 2 else 4)
    tile_box = b(
        margin,
        margin - (4 if detail == 3 else 0),
        512 - margin,
        512 - margin - (6 if detail == 3 else 0),
    )
    radius = (512 - 2 * margin) * 0.225 * u
    if detail == 3:
        shadow = _rounded_mask(
            S, [v + (10 * u if i % 2 else 0) for i, v in enumerate(tile_box)], radius
        )
        shadow = shadow.filter(ImageFilter.GaussianBlur(14 * u))
        _paste_color(canvas, (10, 10, 40), shadow, 0.35)
    tile_mask = _rounded_mask(S, tile_box, radius)
    tile = _gradient(S).convert("RGBA")
    tile.putalpha(tile_mask)
    canvas.alpha_composite(tile)
    # soft top gloss
    g = np.linspace(0.16, 0.0, S, dtype=np.float32)[:, None] * np.ones((1, S), np.float32)
    gl = ImageChops.multiply(Image.fromarray((g * 255).astype(np.uint8)), tile_mask)
    _paste_color(canvas, (255, 255, 255), gl)

    if detail == 1:
        # 16/24 px: a white photo frame with a play triangle: readable, no fine detail.
        d = ImageDraw.Draw(canvas)
        d.rounded_rectangle(
            b(86, 120, 426, 392), radius=44 * u, outline=(255, 255, 255, 255), width=int(44 * u)
        )
        d.polygon(
            [(210 * u, 180 * u), (210 * u, 332 * u), (338 * u, 256 * u)], fill=(255, 255, 255, 255)
        )
        return canvas.resize((size, size), Image.LANCZOS)

    # Film strip: dark band with sprocket holes top and bottom.
    fx0, fy0, fx1, fy1 = 92, 116, 420, 380
    if detail == 2:
        fx0, fy0, fx1, fy1 = 78, 112, 434, 384
    film_shadow = _rounded_mask(S, b(fx0, fy0 + 8, fx1, fy1 + 8), 30 * u).filter(
        ImageFilter.GaussianBlur(10 * u)
    )
    _paste_color(canvas, (8, 6, 40), film_shadow, 0.35)
    _paste_color(canvas, FILM, _rounded_mask(S, b(fx0, fy0, fx1, fy1), 30 * u), 0.94)

    holes = 7 if detail == 3 else 4
    hole_h = 22 if detail == 3 else 30
    band = 44 if detail == 3 else 54  # height of the sprocket rows
    hole_w = (fx1 - fx0 - 40) / holes * 0.52
    step = (fx1 - fx0 - 40) / holes
    d = ImageDraw.Draw(canvas)
    for row_y in (fy0 + (band - hole_h) / 2, fy1 - band + (band - hole_h) / 2):
        for i in range(holes):
            x = fx0 + 20 + step * i + (step - hole_w) / 2
            d.rounded_rectangle(
                b(x, row_y, x + hole_w, row_y + hole_h), radius=5 * u, fill=(255, 255, 255, 215)
            )

    # Picture window: sunset sky, sun, two mountain ridges.
    wx0, wy0, wx1, wy1 = fx0 + 20, fy0 + band, fx1 - 20, fy1 - band
    win_box = b(wx0, wy0, wx1, wy1)
    win_mask = _rounded_mask(S, win_box, 14 * u)
    pic = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    sky = _vgradient(
        int(win_box[2] - win_box[0]), int(win_box[3] - win_box[1]), SKY_TOP, SKY_BOTTOM
    )
    pic.paste(sky.convert("RGBA"), (int(win_box[0]), int(win_box[1])))
    pd = ImageDraw.Draw(pic)
    sun_c, sun_r = (wx0 + (wx1 - wx0) * 0.30, wy0 + (wy1 - wy0) * 0.36), 26
    pd.ellipse(
        b(sun_c[0] - sun_r, sun_c[1] - sun_r, sun_c[0] + sun_r, sun_c[1] + sun_r), fill=(*SUN, 255)
    )
    H = wy1 - wy0
    W = wx1 - wx0
    back = [(0.00, 0.70), (0.22, 0.48), (0.40, 0.62), (0.62, 0.34), (0.86, 0.58), (1.00, 0.50)]
    front = [(0.00, 0.84), (0.18, 0.66), (0.34, 0.80), (0.52, 0.58), (0.74, 0.86), (1.00, 0.72)]
    for ridge, col in ((back, MOUNTAIN_BACK), (front, MOUNTAIN_FRONT)):
        pts = [((wx0 + W * x) * u, (wy0 + H * y) * u) for x, y in ridge]
        pts += [(wx1 * u, (wy1 + 2) * u), (wx0 * u, (wy1 + 2) * u)]
        pd.polygon(pts, fill=(*col, 255))
    pic.putalpha(ImageChops.multiply(pic.getchannel("A"), win_mask))
    canvas.alpha_composite(pic)

    # Play badge: white disc with a soft shadow, accent-coloured triangle.
    cx, cy, r = (380, 372, 86) if detail == 3 else (376, 372, 98)
    sh = Image.new("L", (S, S), 0)
    ImageDraw.Draw(sh).ellipse(b(cx - r, cy - r + 10, cx + r, cy + r + 10), fill=255)
    _paste_color(canvas, (10, 8, 50), sh.filter(ImageFilter.GaussianBlur(12 * u)), 0.45)
    d = ImageDraw.Draw(canvas)
    d.ellipse(b(cx - r, cy - r, cx + r, cy + r), fill=(255, 255, 255, 255))
    tri = _rounded_triangle(cx + r * 0.10, cy, r * 0.50, u, corner=8)
    tri_mask = Image.new("L", (S, S), 0)
    ImageDraw.Draw(tri_mask).polygon(tri, fill=255)
    tri_fill = _gradient(S).convert("RGBA")
    tri_fill.putalpha(tri_mask)
    canvas.alpha_composite(tri_fill)

    return canvas.resize((size, size), Image.LANCZOS)


def _rounded_triangle(cx, cy, r, u, *, corner=8, steps=8):
    """Right-pointing equilateral triangle with rounded corners, as a polygon."""
    verts = [
        (cx + r * math.cos(a), cy + r * math.sin(a)) for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)
    ]
    pts = []
    for _i, (vx, vy) in enumerate(verts):
        # corner arc centre sits on the line to the centroid
        dx, dy = cx - vx, cy - vy
        dist = math.hypot(dx, dy)
        k = corner * 2 / dist
        ccx, ccy = vx + dx * k, vy + dy * k
        base = math.atan2(vy - cy, vx - cx)
        for s in range(steps + 1):
            a = base - math.pi / 3 + (2 * math.pi / 3) * s / steps
            pts.append(((ccx + corner * math.cos(a)) * u, (ccy + corner * math.sin(a)) * u))
    return pts


# --------------------------------------------------------------------------
# Toolbar icons: 64x64 line icons
# --------------------------------------------------------------------------

TB_SIZE = 64
TB_SS = 8
STROKE = 4.0  # stroke width in 64-px units
STROKE_RGB = (214, 218, 225)  # light grey
RIM_RGB = (30, 33, 40)  # dark rim so the grey also reads on white
RIM_PX = 1.5  # rim width in 64-px units
RIM_ALPHA = 0.85


class LineIcon:
    """A stroke canvas in 64-unit coordinates, drawn at 8x."""

    def __init__(self) -> None:
        self.S = TB_SIZE * TB_SS
        self.mask = Image.new("L", (self.S, self.S), 0)
        self.d = ImageDraw.Draw(self.mask)

    def _p(self, pt):
        return (pt[0] * TB_SS, pt[1] * TB_SS)

    def stroke(self, pts, closed=False, width=STROKE):
        pts = [self._p(p) for p in pts]
        if closed:
            pts = [*pts, pts[0]]
        w = width * TB_SS
        self.d.line(pts, fill=255, width=round(w))
        r = w / 2
        for x, y in pts:  # round caps and joins
            self.d.ellipse([x - r, y - r, x + r, y + r], fill=255)

    def dot(self, c, r):
        x, y = self._p(c)
        r *= TB_SS
        self.d.ellipse([x - r, y - r, x + r, y + r], fill=255)

    def erase_circle(self, c, r):
        x, y = self._p(c)
        r *= TB_SS
        self.d.ellipse([x - r, y - r, x + r, y + r], fill=0)

    def erase_rrect(self, box, r):
        self.d.rounded_rectangle([v * TB_SS for v in box], radius=r * TB_SS, fill=0)

    def plus(self, c, arm):
        x, y = c
        self.stroke([(x - arm, y), (x + arm, y)])
        self.stroke([(x, y - arm), (x, y + arm)])

    def render(self) -> Image.Image:
        S = self.S
        rim_px = round(RIM_PX * TB_SS) * 2 + 1
        rim = self.mask.filter(ImageFilter.MaxFilter(rim_px))
        out = Image.new("RGBA", (S, S), (0, 0, 0, 0))
        rim_layer = Image.new("RGBA", (S, S), (*RIM_RGB, 255))
        rim_layer.putalpha(rim.point(lambda v: int(v * RIM_ALPHA)))
        out.alpha_composite(rim_layer)
        fg = Image.new("RGBA", (S, S), (*STROKE_RGB, 255))
        fg.putalpha(self.mask)
        out.alpha_composite(fg)
        return out.resize((TB_SIZE, TB_SIZE), Image.LANCZOS)


def arc(cx, cy, r, a0, a1, *, n=None):
    """Points on an arc; angles in degrees, clockwise on screen (y down)."""
    n = n or max(8, int(abs(a1 - a0) / 4))
    return [
        (
            cx + r * math.cos(math.radians(a0 + (a1 - a0) * i / n)),
            cy + r * math.sin(math.radians(a0 + (a1 - a0) * i / n)),
        )
        for i in range(n + 1)
    ]


def rrect(x0, y0, x1, y1, r):
    pts = []
    pts += arc(x1 - r, y0 + r, r, -90, 0, n=12)
    pts += arc(x1 - r, y1 - r, r, 0, 90, n=12)
    pts += arc(x0 + r, y1 - r, r, 90, 180, n=12)
    pts += arc(x0 + r, y0 + r, r, 180, 270, n=12)
    return pts


def chevron(tip, direction_deg, length=9.0, spread=42.0):
    """Arrowhead: two arms going back from `tip`, opposite to direction."""
    back = math.radians(direction_deg + 180)
    s = math.radians(spread)
    a = (tip[0] + length * math.cos(back - s), tip[1] + length * math.sin(back - s))
    b = (tip[0] + length * math.cos(back + s), tip[1] + length * math.sin(back + s))
    return [a, tip, b]


def mirror(pts):
    return [(TB_SIZE - x, y) for x, y in pts]


def icon_add_images():
    ic = LineIcon()
    ic.stroke(rrect(7, 12, 51, 48, 6), closed=True)
    ic.stroke([(12, 43), (24, 29), (32, 37), (38, 31), (48, 42)])
    ic.stroke(arc(36, 21, 3.5, 0, 360), closed=True, width=3.5)
    ic.erase_circle((49, 48), 13)
    ic.plus((49, 48), 7.5)
    return ic


def icon_add_audio():
    ic = LineIcon()
    ic.stroke(arc(14, 42, 6, 0, 360), closed=True)
    ic.stroke(arc(36, 37, 6, 0, 360), closed=True)
    ic.stroke([(20, 42), (20, 15)])
    ic.stroke([(42, 37), (42, 10)])
    ic.stroke([(20, 15), (42, 10)], width=5)
    ic.stroke([(20, 22), (42, 17)])
    ic.erase_circle((50, 50), 12.5)
    ic.plus((50, 50), 7.5)
    return ic


def icon_render():
    """Clapperboard with a play triangle: 'make the video'."""
    ic = LineIcon()
    ic.stroke(rrect(9, 27, 55, 54, 4), closed=True)
    # clapper arm, tilted up from the left hinge
    ang = math.radians(-14)

    def rot(p, o=(9, 25)):
        x, y = p[0] - o[0], p[1] - o[1]
        return (
            o[0] + x * math.cos(ang) - y * math.sin(ang),
            o[1] + x * math.sin(ang) + y * math.cos(ang),
        )

    arm = [rot(p) for p in [(9, 25), (55, 25), (55, 16), (9, 16)]]
    ic.stroke(arm, closed=True)
    for x in (20, 32, 44):
        ic.stroke([rot((x, 25)), rot((x + 6, 16))], width=3.5)
    ic.stroke([(28, 34), (28, 48), (40, 41)], closed=True, width=3.5)
    return ic


def icon_batch():
    """Stacked frames: several videos at once."""
    ic = LineIcon()
    ic.stroke(rrect(22, 8, 56, 36, 5), closed=True)
    ic.erase_rrect((11, 15, 53, 47), 8)
    ic.stroke(rrect(15, 14, 49, 42, 5), closed=True)
    ic.erase_rrect((4, 21, 46, 53), 8)
    ic.stroke(rrect(8, 20, 42, 48, 5), closed=True)
    ic.stroke([(21, 27), (21, 41), (32, 34)], closed=True, width=3.5)
    return ic


def icon_save():
    ic = LineIcon()
    ic.stroke(
        [(9, 14), (9, 50), (14, 55), (50, 55), (55, 50), (55, 19), (45, 9), (14, 9)], closed=True
    )
    ic.stroke([(20, 9.5), (20, 22), (41, 22), (41, 9.5)])
    ic.stroke([(34, 13), (34, 18)], width=3.5)
    ic.stroke([(18, 54.5), (18, 36), (46, 36), (46, 54.5)])
    return ic


def icon_open():
    ic = LineIcon()
    ic.stroke([(8, 48), (8, 15), (23, 15), (28, 21), (49, 21), (49, 28)])
    ic.stroke([(8, 49), (17, 29), (57, 29), (48, 49)], closed=True)
    return ic


def icon_new():
    ic = LineIcon()
    ic.stroke([(14, 8), (38, 8), (50, 20), (50, 56), (14, 56)], closed=True)
    ic.stroke([(38, 8.5), (38, 20), (49.5, 20)])
    ic.plus((32, 38), 8)
    return ic


def icon_play():
    ic = LineIcon()
    ic.stroke([(20, 12), (51, 32), (20, 52)], closed=True, width=4.5)
    return ic


def icon_pause():
    ic = LineIcon()
    ic.stroke(rrect(16, 12, 27, 52, 3), closed=True)
    ic.stroke(rrect(37, 12, 48, 52, 3), closed=True)
    return ic


def icon_cancel():
    ic = LineIcon()
    ic.stroke(arc(32, 32, 23, 0, 360, n=120), closed=True)
    ic.stroke([(23.5, 23.5), (40.5, 40.5)])
    ic.stroke([(40.5, 23.5), (23.5, 40.5)])
    return ic


def icon_retry():
    ic = LineIcon()
    a0, a1, r, c = -40, 250, 20, (32, 34)
    ic.stroke(arc(*c, r, a0, a1, n=90))
    # arrowhead at the a0 end, pointing back against the arc (counter-clockwise)
    t = math.radians(a0)
    tip = (c[0] + r * math.cos(t), c[1] + r * math.sin(t))
    # tangent for decreasing angle
    direction = math.degrees(math.atan2(-math.cos(t), math.sin(t)))
    ic.stroke(chevron(tip, direction, 10, 45))
    return ic


def icon_folder():
    ic = LineIcon()
    ic.stroke([(8, 15), (24, 15), (29, 21), (56, 21), (56, 50), (8, 50)], closed=True)
    ic.stroke([(8.5, 28), (55.5, 28)], width=3.5)
    return ic


def icon_settings():
    ic = LineIcon()
    cx, cy, teeth = 32, 32, 8
    r_out, r_in, half_top, half_base = 24, 18, 9.0, 14.0
    pts = []
    for i in range(teeth):
        a = 360 / teeth * i
        pts.append(_polar(cx, cy, r_in, a - half_base))
        pts.append(_polar(cx, cy, r_out, a - half_top))
        pts.append(_polar(cx, cy, r_out, a + half_top))
        pts.append(_polar(cx, cy, r_in, a + half_base))
        # valley follows the inner circle
        pts += arc(cx, cy, r_in, a + half_base, a + 360 / teeth - half_base, n=4)[1:-1]
    ic.stroke(pts, closed=True, width=3.75)
    ic.stroke(arc(cx, cy, 7.5, 0, 360, n=48), closed=True)
    return ic


def _polar(cx, cy, r, deg):
    return (cx + r * math.cos(math.radians(deg)), cy + r * math.sin(math.radians(deg)))


def icon_delete():
    ic = LineIcon()
    ic.stroke([(9, 16), (55, 16)])
    ic.stroke([(24, 15), (25, 9), (39, 9), (40, 15)])
    ic.stroke([(14, 16), (17, 54), (47, 54), (50, 16)])
    ic.stroke([(27, 25), (27.5, 45)], width=3.5)
    ic.stroke([(37, 25), (36.5, 45)], width=3.5)
    return ic


def _undo_path():
    path = [(12, 24), (38, 24), *arc(38, 38, 14, -90, 90, n=30), (22, 52)]
    head = chevron((12, 24), 180, 11, 45)
    return path, head


def icon_undo():
    ic = LineIcon()
    path, head = _undo_path()
    ic.stroke(path)
    ic.stroke(head)
    return ic


def icon_redo():
    ic = LineIcon()
    path, head = _undo_path()
    ic.stroke(mirror(path))
    ic.stroke(mirror(head))
    return ic


TOOLBAR = {
    "add-images": icon_add_images,
    "add-audio": icon_add_audio,
    "render": icon_render,
    "batch": icon_batch,
    "save": icon_save,
    "open": icon_open,
    "new": icon_new,
    "play": icon_play,
    "pause": icon_pause,
    "cancel": icon_cancel,
    "retry": icon_retry,
    "folder": icon_folder,
    "settings": icon_settings,
    "delete": icon_delete,
    "undo": icon_undo,
    "redo": icon_redo,
}

ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]
# ICNS element types that hold PNG data, with their pixel sizes (the "@2x"
# types are the retina versions of the size below them).
ICNS_TYPES = [
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic13", 256),
    (b"ic08", 256),
    (b"ic14", 512),
    (b"ic09", 512),
    (b"ic10", 1024),
]
ICNS_SIZES = sorted({s for _, s in ICNS_TYPES})


def write_icns(path: Path, renders: dict[int, Image.Image]) -> None:
    """Write a PNG-based .icns file: 'icns' + length, then (type, length, PNG) blocks.

    We write it ourselves, not with Pillow's ICNS plugin. Pillow's file has a
    table of contents that Qt's ICNS reader warns about ("Table of contents
    contains a bad entry"). The table of contents is optional, and macOS and Qt
    both read this simpler layout.
    """
    blocks = []
    cache: dict[int, bytes] = {}
    for ostype, size in ICNS_TYPES:
        if size not in cache:
            buf = io.BytesIO()
            renders[size].save(buf, "PNG", optimize=True)
            cache[size] = buf.getvalue()
        data = cache[size]
        blocks.append(ostype + struct.pack(">I", 8 + len(data)) + data)
    body = b"".join(blocks)
    path.write_bytes(b"icns" + struct.pack(">I", 8 + len(body)) + body)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0] if argv else "resources/icons")
    out.mkdir(parents=True, exist_ok=True)

    renders = {s: app_icon(s) for s in sorted(set(ICO_SIZES + ICNS_SIZES + [512]))}
    renders[512].save(out / "simvid.png", optimize=True)

    big = renders[256]
    big.save(
        out / "simvid.ico",
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[renders[s] for s in ICO_SIZES if s != 256],
    )
    write_icns(out / "simvid.icns", renders)

    for name, fn in TOOLBAR.items():
        fn().render().save(out / f"{name}.png", optimize=True)

    print(f"wrote app icon and {len(TOOLBAR)} toolbar icons to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
