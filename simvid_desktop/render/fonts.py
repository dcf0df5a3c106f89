"""Fonts a title card can use: the two shipped with Simvid, then whatever the system has.

A font is named the way a user sees it in a font menu: its family plus its style, with
the plain style left out ("DejaVu Sans", "DejaVu Sans Bold", "DejaVu Serif Italic"). The
names come from the fonts themselves (FreeType through Pillow), so a project names the
same font on every machine that has it, whatever its file is called there.

The system's font folders are scanned once per process (:func:`font_families` is cached).
FreeType reads only a font's header and name table to name it, so the first scan takes
milliseconds per hundred fonts; later calls cost nothing and are safe on a UI thread.
Shipped fonts are found without scanning, so rendering with them never waits for it.
"""

from __future__ import annotations

import functools
import logging
import os
import struct
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import ImageFont

from simvid_desktop.model.project import DEFAULT_TITLE_FONT
from simvid_desktop.paths import resource

logger = logging.getLogger(__name__)

#: FreeType faces are not safe to use from two threads at once, and the font objects are
#: cached and shared: the window draws title cards on its thumbnail pool while its preview
#: composes frames (captions, cards) on another thread. Text is laid out and drawn under
#: this lock, one at a time.
FREETYPE_LOCK = threading.Lock()

#: The fonts in ``resources/fonts``, in the order a font menu lists them (the default first).
SHIPPED: tuple[tuple[str, str], ...] = (
    (DEFAULT_TITLE_FONT, "DejaVuSans-Bold.ttf"),
    ("DejaVu Sans", "DejaVuSans.ttf"),
)
_EXTENSIONS = (".ttf", ".otf", ".ttc", ".otc")
_COLLECTIONS = (".ttc", ".otc")
#: Style names that mean "no particular style": "DejaVu Sans Book" is listed as "DejaVu Sans".
_PLAIN_STYLES = {"regular", "book", "normal", "roman", "plain", "standard"}
#: A bound on the scan, so a font folder with a runaway number of files cannot stall it.
MAX_FONT_FILES = 20_000
_MAX_FACES = 64  # faces read from one collection file


@dataclass(frozen=True)
class FontFace:
    """One face: a font file and, in a collection (``.ttc``), the face's index in it."""

    path: Path
    index: int = 0


def font_dirs() -> list[Path]:
    """The folders this platform keeps fonts in, the system's before the user's."""
    home = Path.home()
    if sys.platform == "win32":
        windir = os.environ.get("WINDIR") or os.environ.get("SYSTEMROOT") or r"C:\Windows"
        dirs = [Path(windir) / "Fonts"]
        local = os.environ.get("LOCALAPPDATA")
        if local:
            dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")
        return dirs
    if sys.platform == "darwin":
        return [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library/Fonts"]
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"),
            home / ".local/share/fonts", home / ".fonts"]


def face_name(family: str | None, style: str | None) -> str | None:
    """The name a font menu shows: family and style, without a plain style or a repeat.

    ``("DejaVu Sans", "Book")`` is ``"DejaVu Sans"``; ``("DejaVu Sans", "Condensed
    Bold")`` is ``"DejaVu Sans Condensed Bold"``; ``("Roboto Light", "Light")`` stays
    ``"Roboto Light"``.
    """
    family = " ".join((family or "").split())
    if not family:
        return None
    words = [w for w in (style or "").split() if w.lower() not in _PLAIN_STYLES]
    family_words = {w.lower() for w in family.split()}
    extra = [w for w in words if w.lower() not in family_words]
    return " ".join([family, *extra])


def _face_count(path: Path) -> int:
    """How many faces a collection holds (its header says); 1 for a plain font file."""
    if path.suffix.lower() not in _COLLECTIONS:
        return 1
    try:
        with path.open("rb") as f:
            head = f.read(12)
    except OSError:
        return 0
    if len(head) < 12 or head[:4] != b"ttcf":
        return 1
    count: int = struct.unpack(">I", head[8:12])[0]
    return max(0, min(_MAX_FACES, count))


def _read_name(face: FontFace) -> str | None:
    try:
        font = ImageFont.truetype(str(face.path), 10, index=face.index)
        family, style = font.getname()
    except (OSError, ValueError) as exc:  # not a font FreeType can read: skip it
        logger.debug("font %s (face %d) skipped: %s", face.path, face.index, exc)
        return None
    return face_name(family, style)


def _font_files(dirs: list[Path]) -> list[Path]:
    found: list[Path] = []
    for root in dirs:
        if not root.is_dir():
            continue
        for folder, subdirs, files in os.walk(root, onerror=None):
            subdirs.sort()
            found.extend(Path(folder) / name for name in sorted(files)
                         if name.lower().endswith(_EXTENSIONS))
            if len(found) >= MAX_FONT_FILES:
                logger.warning("more than %d font files; the rest are not listed",
                               MAX_FONT_FILES)
                return found[:MAX_FONT_FILES]
    return found


def shipped_faces() -> dict[str, FontFace]:
    """The fonts Simvid ships, by name (present unless the installation is damaged)."""
    return {name: FontFace(resource("fonts", file)) for name, file in SHIPPED}


def scan(dirs: list[Path]) -> dict[str, FontFace]:
    """Every font face in ``dirs`` by its menu name; the first file with a name wins."""
    faces: dict[str, FontFace] = {}
    for path in _font_files(dirs):
        for index in range(_face_count(path)):
            face = FontFace(path, index)
            name = _read_name(face)
            if name is not None and name not in faces:
                faces[name] = face
    return faces


@functools.cache
def _catalogue() -> dict[str, FontFace]:
    """Shipped fonts first (in :data:`SHIPPED` order), then the system's, sorted by name."""
    shipped = shipped_faces()
    system = scan(font_dirs())
    ordered = dict(shipped)
    for name in sorted(system, key=str.casefold):
        ordered.setdefault(name, system[name])
    logger.debug("%d fonts found (%d shipped)", len(ordered), len(shipped))
    return ordered


def font_families() -> list[str]:
    """The fonts a user can choose: shipped first, then the system's. Cached per process."""
    return list(_catalogue())


def _normal(name: str) -> str:
    words = name.casefold().split()
    while len(words) > 1 and words[-1] in _PLAIN_STYLES:
        words.pop()  # "DejaVu Sans Book" and "dejavu sans regular" mean "DejaVu Sans"
    return " ".join(words)


def find_face(family: str) -> FontFace | None:
    """The face for a name as :func:`font_families` lists it (case and spacing aside)."""
    key = _normal(family)
    for name, face in shipped_faces().items():  # no scan for the fonts Simvid ships
        if _normal(name) == key and face.path.is_file():
            return face
    catalogue = _catalogue()
    if family in catalogue:
        return catalogue[family]
    for name, face in catalogue.items():
        if _normal(name) == key:
            return face
    return None


def find_font(family: str) -> Path | None:
    """The font file for a family name as :func:`font_families` lists it (None if unknown).

    A face inside a collection (``.ttc``) shares its file with others: use
    :func:`find_face` for its index.
    """
    face = find_face(family)
    return face.path if face is not None else None


_warned: set[str] = set()


def resolve_face(family: str) -> FontFace:
    """The face to draw ``family`` with: the shipped default when it is unknown here.

    A project made on another machine may name a font this one lacks; the card still
    renders, in the default font, and the log says so once per name.
    """
    face = find_face(family)
    if face is not None:
        return face
    if family not in _warned:
        _warned.add(family)
        logger.warning("font %r is not installed; using %s instead", family, DEFAULT_TITLE_FONT)
    return shipped_faces()[DEFAULT_TITLE_FONT]


@functools.lru_cache(maxsize=64)
def load_font(face: FontFace, px: int) -> ImageFont.FreeTypeFont:
    """The face at a pixel size (its em), cached: a show reuses a few sizes many times.

    A font that cannot be opened at this size (a damaged file, a bitmap-only face)
    falls back to the shipped default, and a damaged installation to Pillow's own
    scalable font, with a warning, rather than failing the render.
    """
    px = max(1, px)
    try:
        return ImageFont.truetype(str(face.path), px, index=face.index)
    except OSError as exc:
        default = shipped_faces()[DEFAULT_TITLE_FONT]
        logger.warning("font %s cannot be used (%s); using %s instead", face.path, exc,
                       DEFAULT_TITLE_FONT if face != default else "Pillow's built-in font")
        if face != default:
            return load_font(default, px)
        fallback = ImageFont.load_default(px)
        if not isinstance(fallback, ImageFont.FreeTypeFont):  # Pillow built without FreeType
            raise
        return fallback


def refresh() -> None:
    """Forget the scanned fonts: the next :func:`font_families` scans again (fonts the
    user installed since)."""
    _catalogue.cache_clear()
