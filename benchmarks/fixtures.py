#!/usr/bin/env python3
"""Deterministic, photo-like benchmark fixtures for Simvid.

    python benchmarks/fixtures.py OUTDIR --images 10 [--seed 2024] [--audio-seconds 36]

Writes into OUTDIR:

* ``img_000.jpg`` ... -- JPEG "photos" (quality 90) in the sizes real cameras and
  phones produce (12-24 MP, plus a few smaller ones), landscape and portrait. Every
  fifth photo is stored landscape but carries EXIF Orientation=6, so a correct
  renderer has to turn it and show it portrait.  Content: a smooth colour field,
  random shapes, slightly softened, plus sensor-like grain, so the files are about
  as hard to decode/compress as real photos (2-5 MB for the 12-24 MP ones).
  Every photo has a red band along the top edge *as displayed* (after the EXIF
  rotation) -- the benchmark uses it to check orientation and placement.
* ``audio.mp3`` -- stereo 44.1 kHz "music" (a few slowly modulated tones, made
  with ffmpeg's ``aevalsrc`` using the binary that imageio-ffmpeg ships).
* ``manifest.json`` -- the parameters and one entry per file.

Everything depends only on the parameters (seed, count, audio length), so two runs
give identical files. If OUTDIR already holds a complete manifest with the same
parameters the folder is reused as it is.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw, ImageFilter

GENERATOR_VERSION = 1
JPEG_QUALITY = 90
MANIFEST = "manifest.json"
AUDIO_NAME = "audio.mp3"
MARKER_RGB = (235, 25, 25)  # the band along the displayed top edge

# The cycle of stored sizes: (stored width, stored height, EXIF orientation, description).
# Orientation 6 means "rotate 90 degrees clockwise for display": stored landscape, shown portrait.
PHOTO_CYCLE: list[tuple[int, int, int, str]] = [
    (4032, 3024, 1, "phone 12 MP, landscape"),
    (3024, 4032, 1, "phone 12 MP, portrait"),
    (6000, 4000, 1, "camera 24 MP, 3:2"),
    (1920, 1080, 1, "screenshot 1080p"),
    (4032, 3024, 6, "phone 12 MP, portrait via EXIF 6"),
    (4000, 3000, 1, "compact 12 MP, 4:3"),
    (4032, 2268, 1, "phone 9 MP, 16:9"),
    (6000, 4000, 1, "camera 24 MP, 3:2"),
    (2048, 1536, 1, "old phone 3 MP"),
    (4000, 3000, 6, "compact 12 MP, portrait via EXIF 6"),
]


def marker_height(display_h: int) -> int:
    """Height in pixels of the red top band for a photo displayed ``display_h`` high."""
    return max(12, display_h // 14)


def _colour_field(rng: np.random.Generator, w: int, h: int) -> Image.Image:
    """A smooth, low-frequency colour gradient: a tiny random grid blown up bicubically."""
    gx, gy = int(rng.integers(3, 9)), int(rng.integers(2, 7))
    grid = rng.integers(25, 230, size=(gy, gx, 3), dtype=np.uint8)
    return Image.fromarray(grid).resize((w, h), Image.Resampling.BICUBIC)


def _draw_shapes(rng: np.random.Generator, img: Image.Image) -> None:
    w, h = img.size
    side = min(w, h)
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(10, 22))):
        colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
        x, y = int(rng.integers(-side // 10, w)), int(rng.integers(-side // 10, h))
        sw, sh = (int(v) for v in rng.integers(side // 25, side // 3, size=2))
        shape = int(rng.integers(0, 4))
        if shape == 0:
            draw.ellipse((x, y, x + sw, y + sh), fill=colour)
        elif shape == 1:
            draw.rectangle((x, y, x + sw, y + sh), fill=colour)
        elif shape == 2:
            corners = rng.integers(0, [w, h], size=(int(rng.integers(3, 7)), 2))
            draw.polygon([(int(px), int(py)) for px, py in corners], fill=colour)
        else:
            draw.line((x, y, x + sw, y + sh), fill=colour, width=max(2, side // 150))


def _add_grain(rng: np.random.Generator, img: Image.Image, sigma: float) -> Image.Image:
    """Sensor-like noise (mostly luminance, a little colour), added in row strips to
    keep memory modest even for 24 MP."""
    arr = np.array(img, dtype=np.uint8)  # writable copy, h x w x 3
    h, w, _ = arr.shape
    strip = 256
    for top in range(0, h, strip):
        rows = arr[top : top + strip]
        n = rows.shape[0]
        luma = rng.standard_normal((n, w, 1), dtype=np.float32) * sigma
        chroma = rng.standard_normal((n, w, 3), dtype=np.float32) * (sigma * 0.3)
        noisy = rows.astype(np.float32) + luma + chroma
        np.clip(noisy, 0.0, 255.0, out=noisy)
        rows[...] = (noisy + 0.5).astype(np.uint8)
    return Image.fromarray(arr)


def render_photo(rng: np.random.Generator, display_w: int, display_h: int) -> Image.Image:
    """Photo-like RGB content in *display* orientation."""
    img = _colour_field(rng, display_w, display_h)
    _draw_shapes(rng, img)
    # Soften the hard shape edges a little, as a lens would.
    img = img.filter(ImageFilter.BoxBlur(2))
    # Bigger sensors -> relatively less visible grain per pixel.
    megapixels = display_w * display_h / 1e6
    sigma = 4.0 if megapixels >= 15 else 5.5
    img = _add_grain(rng, img, sigma)
    band = marker_height(display_h)
    ImageDraw.Draw(img).rectangle((0, 0, display_w - 1, band - 1), fill=MARKER_RGB)
    return img


def make_audio(path: Path, seconds: float) -> None:
    """A stereo 44.1 kHz MP3 of slowly changing tones, made by ffmpeg's aevalsrc."""
    left = (
        "0.22*sin(2*PI*196*t)*(0.6+0.4*sin(2*PI*0.5*t))"
        "+0.12*sin(2*PI*293.66*t)+0.06*sin(2*PI*587.33*t)*(0.5+0.5*sin(2*PI*2*t))"
    )
    right = (
        "0.22*sin(2*PI*246.94*t)*(0.6+0.4*cos(2*PI*0.4*t))"
        "+0.12*sin(2*PI*392*t)+0.06*sin(2*PI*493.88*t)*(0.5+0.5*cos(2*PI*1.5*t))"
    )
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", f"aevalsrc={left}|{right}:s=44100:c=stereo:d={seconds:.3f}",
        "-c:a", "libmp3lame", "-b:a", "192k", "-ar", "44100", "-ac", "2", str(path),
    ]  # fmt: skip
    subprocess.run(cmd, check=True)


def _params(count: int, seed: int, audio_seconds: float) -> dict[str, Any]:
    return {
        "generator_version": GENERATOR_VERSION,
        "images": count,
        "seed": seed,
        "audio_seconds": float(audio_seconds),
        "jpeg_quality": JPEG_QUALITY,
    }


def _cached_manifest(outdir: Path, params: dict[str, Any]) -> dict[str, Any] | None:
    """The existing manifest if it matches ``params`` and every file it lists is intact."""
    try:
        manifest = json.loads((outdir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("params") != params:
        return None
    entries = [*manifest.get("images", []), manifest.get("audio", {})]
    for entry in entries:
        try:
            if (outdir / entry["file"]).stat().st_size != entry["bytes"]:
                return None
        except (OSError, KeyError, TypeError):
            return None
    return manifest


def ensure_fixtures(
    outdir: str | os.PathLike[str],
    count: int,
    seed: int = 2024,
    audio_seconds: float = 60.0,
    log: Any = None,
) -> dict[str, Any]:
    """Create (or reuse) ``count`` photos + an audio track in ``outdir``; return the manifest.

    Paths in the manifest are relative to ``outdir``.
    """
    out = Path(outdir)
    params = _params(count, seed, audio_seconds)
    cached = _cached_manifest(out, params)
    if cached is not None:
        return cached
    out.mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)  # incomplete until rewritten at the end
    started = time.monotonic()
    images = []
    for index in range(count):
        stored_w, stored_h, orientation, label = PHOTO_CYCLE[index % len(PHOTO_CYCLE)]
        turned = orientation in (5, 6, 7, 8)
        display_w, display_h = (stored_h, stored_w) if turned else (stored_w, stored_h)
        rng = np.random.default_rng([seed, index])
        photo = render_photo(rng, display_w, display_h)
        if orientation == 6:
            # Displayed = stored turned 90 degrees clockwise, so store it turned counter-clockwise.
            photo = photo.transpose(Image.Transpose.ROTATE_90)
        elif orientation != 1:
            raise ValueError(f"orientation {orientation} is not generated")
        assert photo.size == (stored_w, stored_h)
        exif = Image.Exif()
        exif[0x010F] = "Simvid Bench"  # Make
        exif[0x0110] = f"Fixture camera {index % len(PHOTO_CYCLE)}"  # Model
        exif[0x0112] = orientation  # Orientation
        name = f"img_{index:03d}.jpg"
        photo.save(out / name, "JPEG", quality=JPEG_QUALITY, exif=exif.tobytes())
        size = (out / name).stat().st_size
        images.append({
            "file": name,
            "stored_size": [stored_w, stored_h],
            "display_size": [display_w, display_h],
            "orientation": orientation,
            "marker_height": marker_height(display_h),
            "label": label,
            "bytes": size,
        })  # fmt: skip
        if log is not None:
            print(
                f"  {name}: {stored_w}x{stored_h} EXIF {orientation} -> shown "
                f"{display_w}x{display_h}, {size / 1e6:.2f} MB",
                file=log,
                flush=True,
            )
    make_audio(out / AUDIO_NAME, audio_seconds)
    manifest = {
        "params": params,
        "images": images,
        "audio": {
            "file": AUDIO_NAME,
            "seconds": float(audio_seconds),
            "bytes": (out / AUDIO_NAME).stat().st_size,
        },
        "generation_seconds": round(time.monotonic() - started, 2),
    }
    tmp = out / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    tmp.replace(out / MANIFEST)
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--images", type=int, default=10)
    ap.add_argument("--seed", type=int, default=2024)
    ap.add_argument("--audio-seconds", type=float, default=60.0)
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    manifest = ensure_fixtures(args.outdir, args.images, args.seed, args.audio_seconds, sys.stderr)
    total = sum(im["bytes"] for im in manifest["images"]) / 1e6
    print(
        f"{len(manifest['images'])} photos ({total:.1f} MB) + audio in {args.outdir} "
        f"({time.monotonic() - t0:.1f} s)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
