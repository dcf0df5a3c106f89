"""Which files are photos, clips or sound: by suffix for listings, by magic bytes when sniffed."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from simvid_desktop.model.media_types import (
    SNIFF_BYTES,
    MediaKind,
    images_in,
    is_image,
    is_raw,
    is_video,
    media_in,
    sniff_file,
    sniff_kind,
)

PHOTO, VIDEO, AUDIO = MediaKind.PHOTO, MediaKind.VIDEO, MediaKind.AUDIO


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\0\0\0\x08free"


def ts(packet: int = 188, lead: int = 0) -> bytes:
    one = b"\0" * lead + b"\x47" + b"\x1f\xff\x10" + b"\xff" * (packet - lead - 4)
    return one * 2


BMP = b"BM" + struct.pack("<IHHI", 70, 0, 0, 54) + struct.pack("<I", 40) + b"\0" * 40

HEADERS = [
    ("jpeg", b"\xff\xd8\xff\xe1\x00\x10Exif\0\0", PHOTO),
    ("png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", PHOTO),
    ("gif", b"GIF89a\x10\x00\x10\x00", PHOTO),
    ("bmp", BMP, PHOTO),
    ("webp", b"RIFF\x24\0\0\0WEBPVP8 ", PHOTO),
    ("avi", b"RIFF\x24\0\0\0AVI LIST", VIDEO),
    ("wav", b"RIFF\x24\0\0\0WAVEfmt ", AUDIO),
    ("tiff/dng/cr2/nef/arw le", b"II*\x00\x08\0\0\0", PHOTO),
    ("tiff be", b"MM\x00*\0\0\0\x08", PHOTO),
    ("orf", b"IIRO\x08\0\0\0", PHOTO),
    ("orf (some)", b"IIRS\x08\0\0\0", PHOTO),
    ("raf", b"FUJIFILMCCD-RAW 0201FF383501", PHOTO),
    ("jxl codestream", b"\xff\x0a\xfa\x7f", PHOTO),
    ("jxl container", b"\x00\x00\x00\x0cJXL \r\n\x87\n\0\0\0\x14ftypjxl ", PHOTO),
    ("heic", ftyp(b"heic", b"mif1", b"heic"), PHOTO),
    ("heix", ftyp(b"heix", b"mif1"), PHOTO),
    ("heif generic", ftyp(b"mif1", b"heic"), PHOTO),
    ("heif sequence", ftyp(b"msf1", b"hevc"), PHOTO),
    ("avif", ftyp(b"avif", b"avif", b"mif1", b"miaf"), PHOTO),
    ("avif sequence", ftyp(b"avis", b"avif", b"msf1"), PHOTO),
    ("cr3", ftyp(b"crx ", b"crx ", b"isom"), PHOTO),
    ("mp4", ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), VIDEO),
    ("mp4 v2", ftyp(b"mp42", b"isom", b"mp42"), VIDEO),
    ("mov", ftyp(b"qt  ", b"qt  "), VIDEO),
    ("3gp", ftyp(b"3gp4", b"isom", b"3gp4"), VIDEO),
    ("3gp5", ftyp(b"3gp5", b"3gp5"), VIDEO),
    ("3g2", ftyp(b"3g2a", b"3g2a"), VIDEO),
    ("m4v", ftyp(b"M4V ", b"M4V ", b"M4A ", b"mp42"), VIDEO),
    ("dash", ftyp(b"dash", b"iso6"), VIDEO),
    ("unknown major, known compatible", ftyp(b"zzzz", b"mp42"), VIDEO),
    ("m4a", ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), AUDIO),
    ("m4b", ftyp(b"M4B ", b"M4B "), AUDIO),
    ("mkv/webm", b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01", VIDEO),
    ("old quicktime", b"\0\0\0\x14moov\0\0\0\x0cmvhd", VIDEO),
    ("mpeg-ts", ts(), VIDEO),
    ("m2ts (avchd .mts)", ts(192, lead=4), VIDEO),
    ("mp3 with id3", b"ID3\x04\0\0\0\0\x0fv", AUDIO),
    ("mp3 frame", b"\xff\xfb\x90\x64\0\0", AUDIO),
    ("aac adts", b"\xff\xf1\x50\x80\x02\x1f\xfc", AUDIO),
    ("flac", b"fLaC\0\0\0\x22", AUDIO),
    ("ogg/opus", b"OggS\0\x02\0\0", AUDIO),
]


@pytest.mark.parametrize(("head", "kind"), [(h, k) for _n, h, k in HEADERS],
                         ids=[n for n, _h, _k in HEADERS])
def test_sniff_kind_classifies_magic_bytes(head: bytes, kind: MediaKind) -> None:
    assert sniff_kind(head) is kind
    assert sniff_kind(head + b"\0" * SNIFF_BYTES) is kind  # trailing bytes change nothing


@pytest.mark.parametrize("head", [
    b"", b"\0" * 64, b"hello world, not media", b"BM is also how a text may start",
    b"RIFF\x24\0\0\0CDXA", ftyp(b"zzzz", b"yyyy"), b"%PDF-1.7\n",
    b"\x47" + b"\0" * 200,  # one sync byte is not a transport stream
    b"\xff\xff\xff\xff",  # not a valid MPEG audio frame
    b"PK\x03\x04",
], ids=["empty", "zeros", "text", "bm-text", "riff-other", "ftyp-unknown", "pdf",
        "lone-0x47", "ff-run", "zip"])
def test_sniff_kind_returns_none_for_anything_else(head: bytes) -> None:
    assert sniff_kind(head) is None


def test_sniff_file_reads_the_head(tmp_path: Path) -> None:
    heic = tmp_path / "IMG_0001.JPG"  # a HEIC with the wrong suffix is still a photo
    heic.write_bytes(ftyp(b"heic", b"mif1") + b"\0" * 1000)
    clip = tmp_path / "clip.mts"
    clip.write_bytes(ts(192, lead=4) * 3)
    assert sniff_file(heic) is PHOTO
    assert sniff_file(clip) is VIDEO
    assert sniff_file(tmp_path / "missing.jpg") is None
    assert sniff_file(tmp_path) is None  # a folder


def test_suffixes() -> None:
    for name in ("a.HEIC", "a.heif", "a.avif", "a.jxl", "a.webp", "a.DNG", "a.cr2", "a.CR3",
                 "a.nef", "a.arw", "a.raf", "a.orf"):
        assert is_image(Path(name)), name
    assert is_raw(Path("x.NEF")) and not is_raw(Path("x.jpg"))
    for name in ("a.mp4", "a.MOV", "a.3gp", "a.mts", "a.m2ts", "a.mkv"):
        assert is_video(Path(name)) and not is_image(Path(name)), name
    assert not is_video(Path("a.heic"))


def test_media_in_interleaves_photos_and_clips_in_natural_order(tmp_path: Path) -> None:
    for name in ("IMG_10.jpg", "IMG_2.MOV", "IMG_1.HEIC", "IMG_3.dng", "notes.txt",
                 ".hidden.jpg", "song.mp3"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "folder.jpg").mkdir()
    assert [p.name for p in media_in(tmp_path)] == [
        "IMG_1.HEIC", "IMG_2.MOV", "IMG_3.dng", "IMG_10.jpg"]
    assert [p.name for p in images_in(tmp_path)] == ["IMG_1.HEIC", "IMG_3.dng", "IMG_10.jpg"]
