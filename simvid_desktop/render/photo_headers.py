"""What a photo file's first bytes say, read without decoding it: which optional codec it
needs (HEIF, AVIF, JPEG XL, camera RAW), a JPEG XL's size (its codestream header), and
whether a HEIF turns its picture itself (``irot``/``imir`` among its item properties).

Plain byte parsing, kept apart from the decoding in :mod:`simvid_desktop.render.images`.
"""

from __future__ import annotations

from pathlib import Path

from simvid_desktop.model.media_types import RAW_SUFFIXES

HEAD_BYTES = 64

# ISO-BMFF brands (bytes 8..12 of the file, after "ftyp") of HEIF and AVIF stills.
_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1")
_AVIF_BRANDS = (b"avif", b"avis")
_JXL_BOX = b"\x00\x00\x00\x0cJXL \r\n\x87\n"
_JXL_CODESTREAM = b"\xff\x0a"
_TIFF = (b"II*\x00", b"MM\x00*")
# Raw formats that are not TIFF inside: Olympus, Fujifilm, Panasonic, Canon CR3.
_RAW_MAGIC = (b"IIRO", b"IIRS", b"FUJIFILMCCD-RAW", b"IIU\x00")


def file_head(path: Path) -> bytes:
    """The file's first bytes (empty when it cannot be read: opening it says why)."""
    try:
        with open(path, "rb") as f:
            return f.read(HEAD_BYTES)
    except OSError:
        return b""  # opening it says why (not found, a folder, permission denied)


def codec_of(head: bytes) -> str | None:
    """The optional codec a file's first bytes ask for (None: Pillow's own formats)."""
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        compatible = head[16:int.from_bytes(head[:4], "big")]
        if brand in _AVIF_BRANDS or (brand == b"mif1" and b"avif" in compatible):
            return "avif"
        if brand in _HEIF_BRANDS:
            return "heif"
        if brand == b"crx ":
            return "raw"
    if head.startswith((_JXL_BOX, _JXL_CODESTREAM)):
        return "jxl"
    if head.startswith(_RAW_MAGIC):
        return "raw"
    return None


def is_raw(path: Path, head: bytes) -> bool:
    """A RAW's own magic, or a TIFF named like a RAW (DNG, CR2, NEF, ARW are TIFF inside;
    opened as TIFF, Pillow would show the small preview in IFD0, or nothing)."""
    if codec_of(head) == "raw":
        return True
    return head.startswith(_TIFF) and path.suffix.lower() in RAW_SUFFIXES


class _Bits:
    """Reads a JPEG XL codestream's bit fields: least significant bit first."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, n: int) -> int:
        value = 0
        for i in range(n):
            byte = self.data[self.pos >> 3]  # IndexError when the header is cut short
            value |= ((byte >> (self.pos & 7)) & 1) << i
            self.pos += 1
        return value

    def u32_size(self) -> int:
        """``U32(1 + u(9), 1 + u(13), 1 + u(18), 1 + u(30))`` of the SizeHeader."""
        return 1 + self.read((9, 13, 18, 30)[self.read(2)])


_JXL_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}


def jxl_codestream(data: bytes) -> bytes:
    """The codestream's first bytes: the file itself, or the payload of its first
    ``jxlc`` / ``jxlp`` box (``jxlp`` starts with a 4-byte part index)."""
    if data.startswith(_JXL_CODESTREAM):
        return data
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos:pos + 4], "big")
        kind, header = data[pos + 4:pos + 8], 8
        if size == 1:
            size, header = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
        if kind == b"jxlc":
            return data[pos + header:]
        if kind == b"jxlp":
            return data[pos + header + 4:]
        if size < header:  # 0: the box runs to the end of the file; nothing after it
            break
        pos += size
    return b""


def jxl_size(path: Path) -> tuple[int, int] | None:
    """Width and height from a JPEG XL's SizeHeader (ISO/IEC 18181-1, A.3.1), or None."""
    try:
        with open(path, "rb") as f:
            code = jxl_codestream(f.read(1 << 16))
        if not code.startswith(_JXL_CODESTREAM):
            return None
        bits = _Bits(code[2:])
        div8 = bits.read(1)
        height = (1 + bits.read(5)) * 8 if div8 else bits.u32_size()
        ratio = bits.read(3)
        if ratio:
            num, den = _JXL_RATIOS[ratio]
            return height * num // den, height
        width = (1 + bits.read(5)) * 8 if div8 else bits.u32_size()
        return width, height
    except (OSError, IndexError):
        return None


def heif_transformed(path: Path) -> bool:
    """Whether a HEIF's item properties hold an ``irot`` or ``imir`` transform (which
    libheif applies itself). Walks meta > iprp > ipco in the file's first megabyte."""
    with open(path, "rb") as f:
        data = f.read(1 << 20)

    def children(start: int, end: int) -> dict[bytes, tuple[int, int]]:
        boxes: dict[bytes, tuple[int, int]] = {}
        at = start
        while at + 8 <= end:
            size, kind = int.from_bytes(data[at:at + 4], "big"), data[at + 4:at + 8]
            head = 8
            if size == 1 and at + 16 <= end:
                size, head = int.from_bytes(data[at + 8:at + 16], "big"), 16
            elif size == 0:
                size = end - at
            if size < head:
                break
            boxes.setdefault(kind, (at + head, min(at + size, end)))
            at += size
        return boxes

    meta = children(0, len(data)).get(b"meta")
    if meta is None:
        return False
    iprp = children(meta[0] + 4, meta[1]).get(b"iprp")  # meta is a full box
    ipco = children(*iprp).get(b"ipco") if iprp else None
    return ipco is not None and bool({b"irot", b"imir"} & set(children(*ipco)))
