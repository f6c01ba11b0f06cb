"""Images → pixels only: metadata and appended data gone, bombs refused before decoding."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

from gateway.safecopy import NoSafeCopy, Reason, SafeCopy, SafeCopyRunner
from tests.safecopy import samples


def _jpeg_with_exif_and_a_zip() -> bytes:
    image = Image.new("RGB", (40, 30), (10, 200, 10))
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes(), comment=b"hidden comment")
    return out.getvalue() + samples.zip_bytes({"payload.exe": b"MZ" + b"\0" * 100})


def test_jpeg_loses_exif_comment_and_trailing_zip(runner: SafeCopyRunner) -> None:
    original = _jpeg_with_exif_and_a_zip()
    result = runner.convert(original, "photo.JPG", "image/jpeg")
    assert isinstance(result, SafeCopy), result
    assert result.filename == "photo.jpg" and result.media_type == "image/jpeg"
    assert b"SecretCam" not in result.data and b"hidden comment" not in result.data
    assert b"PK\x03\x04" not in result.data and b"payload.exe" not in result.data
    copy = Image.open(io.BytesIO(result.data))
    assert copy.size == (30, 40)  # the orientation was applied before EXIF went
    assert not copy.getexif() and "icc_profile" not in copy.info


def test_png_with_text_chunks_becomes_a_clean_png(runner: SafeCopyRunner) -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    result = runner.convert(samples.png(5, 5, pnginfo=info), "a.png", "image/png")
    assert isinstance(result, SafeCopy)
    assert b"script" not in result.data
    assert Image.open(io.BytesIO(result.data)).getpixel((2, 2)) == (200, 30, 30)


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size (a decompression bomb's first bytes)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    data = zlib.compress(b"\0" * 1000)
    idat = (
        struct.pack(">I", len(data))
        + b"IDAT"
        + data
        + struct.pack(">I", zlib.crc32(b"IDAT" + data))
    )
    return b"\x89PNG\r\n\x1a\n" + ihdr + idat


def test_decompression_bomb_is_refused(runner: SafeCopyRunner) -> None:
    result = runner.convert(_png_header_only(100_000, 100_000), "bomb.png", "image/png")
    assert isinstance(result, NoSafeCopy)
    assert result.reason is Reason.TOO_MANY_PIXELS and "limit" in result.detail


def test_not_an_image_is_refused(runner: SafeCopyRunner) -> None:
    result = runner.convert(b"GIF89a" + b"\xff" * 50, "a.gif", "image/gif")
    assert isinstance(result, NoSafeCopy) and result.reason is Reason.FAILED
