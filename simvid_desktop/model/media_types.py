"""File kinds Simvid accepts: by name suffix for folder listings, by content for sniffing.

Listing a folder goes by suffix only (no file is opened, see :func:`images_in`); decoding
still sniffs the content. :func:`sniff_kind` classifies the first bytes of a file, so a
photo saved with the wrong suffix (an iPhone HEIC named ``.jpg``, a clip named ``.mp4``
that is really Matroska) lands in the right place.
"""

from __future__ import annotations

import enum
import os
import re
from pathlib import Path

#: Camera RAW files, decoded with LibRaw (rawpy). DNG/CR2/NEF/ARW are TIFF inside.
RAW_SUFFIXES = frozenset({
    ".dng", ".cr2", ".cr3", ".nef", ".arw", ".raf", ".orf", ".rw2", ".pef", ".srw",
})
IMAGE_SUFFIXES = frozenset({
    ".jpg", ".jpeg", ".jfif", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif", ".heic",
    ".heif", ".hif", ".avif", ".jxl",
}) | RAW_SUFFIXES
AUDIO_SUFFIXES = frozenset({".mp3", ".m4a", ".aac", ".wav", ".flac", ".ogg", ".opus"})
VIDEO_SUFFIXES = frozenset({
    ".mp4", ".mov", ".mkv", ".webm", ".m4v", ".avi", ".3gp", ".3g2", ".mts", ".m2ts",
})
MUSIC_SUFFIXES = AUDIO_SUFFIXES | VIDEO_SUFFIXES  #: a video's soundtrack is accepted too

#: How many bytes :func:`sniff_kind` wants: everything but MPEG-TS is decided in the first
#: 64; a transport stream is told from noise by the sync bytes of two packets (188 bytes
#: apart, 192 in the M2TS files of AVCHD cameras).
SNIFF_BYTES = 256


class MediaKind(enum.Enum):
    """What a file holds, as far as a slideshow cares."""

    PHOTO = "photo"
    VIDEO = "video"
    AUDIO = "audio"


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def is_raw(path: Path) -> bool:
    return path.suffix.lower() in RAW_SUFFIXES


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def is_music(path: Path) -> bool:
    return path.suffix.lower() in MUSIC_SUFFIXES


def natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts IMG_2 before IMG_10, as file managers do."""
    parts = re.split(r"(\d+)", name.casefold())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def _files_in(folder: Path, suffixes: frozenset[str]) -> list[Path]:
    """Names are filtered before anything is asked of the file system, and ``os.scandir``
    knows from the listing itself which entries are files: adding a folder of 500 photos
    makes no stat call per photo (it runs on the UI thread when photos are dropped)."""
    with os.scandir(folder) as entries:
        names = [e.name for e in entries
                 if not e.name.startswith(".")
                 and os.path.splitext(e.name)[1].lower() in suffixes and e.is_file()]
    names.sort(key=natural_key)
    return [folder / name for name in names]


def images_in(folder: Path) -> list[Path]:
    """The photos directly inside ``folder`` (hidden files skipped), in natural name order."""
    return _files_in(folder, IMAGE_SUFFIXES)


def media_in(folder: Path) -> list[Path]:
    """Photos and video clips directly inside ``folder``, interleaved in natural name order
    (IMG_0001.HEIC, IMG_0002.MOV, IMG_0003.JPG: the order the phone took them in)."""
    return _files_in(folder, IMAGE_SUFFIXES | VIDEO_SUFFIXES)


# ISO base media file format (MP4, MOV, HEIF, AVIF, CR3, 3GP): the major brand at bytes
# 8..12 of the leading ``ftyp`` box, then the compatible brands.
_PHOTO_BRANDS = frozenset({
    b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif",
    b"avis", b"crx ",
})
_VIDEO_BRANDS = frozenset({
    b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"qt  ", b"3gp4",
    b"3gp5", b"3gp6", b"3g2a", b"M4V ", b"M4VH", b"M4VP", b"avc1", b"dash", b"MSNV",
    b"XAVC", b"mmp4",
})
_AUDIO_BRANDS = frozenset({b"M4A ", b"M4B ", b"M4P ", b"F4A "})
_BMP_HEADERS = (12, 40, 52, 56, 64, 108, 124)  # the DIB header sizes Windows ever wrote
_JXL_BOX = b"\x00\x00\x00\x0cJXL \r\n\x87\n"


def _ftyp_kind(head: bytes) -> MediaKind | None:
    size = int.from_bytes(head[:4], "big")
    brands = [head[8:12]]  # major brand, then compatible brands (after minor_version)
    end = min(len(head), size if size >= 16 else 16)
    brands += [head[i:i + 4] for i in range(16, end - 3, 4)]
    for brand in brands:  # the major brand decides; a compatible one only if it is unknown
        if brand in _PHOTO_BRANDS:
            return MediaKind.PHOTO
        if brand in _VIDEO_BRANDS:
            return MediaKind.VIDEO
        if brand in _AUDIO_BRANDS:
            return MediaKind.AUDIO
    return None


def _mpeg_audio_frame(head: bytes) -> bool:
    """An MPEG audio frame header: 11 sync bits, a valid version, layer and bitrate."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate not in (0, 15) and rate != 3


def _adts(head: bytes) -> bool:
    """An AAC ADTS header: 12 sync bits, layer 00."""
    return len(head) >= 2 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0


def sniff_kind(head: bytes) -> MediaKind | None:
    """Classify a file by its first bytes (:data:`SNIFF_BYTES` of them); None if unknown.

    Pure: it reads no file, so it is tested on hand-made headers.
    """
    if head.startswith((b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a",
                        b"\xff\x0a", _JXL_BOX, b"FUJIFILMCCD-RAW", b"IIRO", b"IIRS",
                        b"II*\x00", b"MM\x00*", b"IIU\x00")):  # IIU: Panasonic RW2
        return MediaKind.PHOTO
    if head[:2] == b"BM" and int.from_bytes(head[14:18], "little") in _BMP_HEADERS:
        return MediaKind.PHOTO
    if head[:4] == b"RIFF" and len(head) >= 12:
        return {b"WEBP": MediaKind.PHOTO, b"AVI ": MediaKind.VIDEO,
                b"WAVE": MediaKind.AUDIO}.get(head[8:12])
    if head[4:8] == b"ftyp":
        return _ftyp_kind(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: Matroska or WebM
        return MediaKind.VIDEO
    if head[4:8] in (b"moov", b"mdat", b"wide", b"free") and head[:4] != b"\0\0\0\0":
        return MediaKind.VIDEO  # an old QuickTime file without ftyp
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return MediaKind.VIDEO  # MPEG transport stream: a sync byte every 188 bytes
    if len(head) > 196 and head[4] == 0x47 and head[196] == 0x47:
        return MediaKind.VIDEO  # M2TS (AVCHD .mts): 4-byte timestamp + 188-byte packet
    if head.startswith((b"ID3", b"fLaC", b"OggS")) or _mpeg_audio_frame(head) or _adts(head):
        return MediaKind.AUDIO
    return None


def sniff_file(path: Path) -> MediaKind | None:
    """:func:`sniff_kind` of the first bytes of ``path``; None if unknown or unreadable."""
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return None
    return sniff_kind(head)
