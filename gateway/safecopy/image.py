"""Images → the same pixels in a new file (Pillow): metadata, profiles and trailing data gone.

Only the decoded pixels cross: EXIF (with GPS), XMP, IPTC, ICC profiles, comments, thumbnails
and whatever follows the image data (a ZIP appended to a JPEG) are not copied. The pixel
count is checked from the header before anything is decoded. The EXIF orientation is applied
first so the copy looks the way the original did. JPEG stays JPEG; every other format becomes
PNG (an animation keeps its first frame, which the note says).
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps

from gateway.safecopy.job import Job
from gateway.safecopy.kinds import renamed
from gateway.safecopy.results import Reason, Refusal, SafeCopy

_FORMATS = ["JPEG", "PNG", "GIF", "BMP", "TIFF", "WEBP"]
_MODES = {"1": "L", "L": "L", "LA": "LA", "RGB": "RGB", "RGBA": "RGBA", "P": "RGBA",
          "PA": "RGBA", "CMYK": "RGB", "YCbCr": "RGB", "LAB": "RGB", "I": "L", "I;16": "L",
          "I;16B": "L", "I;16L": "L", "F": "L", "HSV": "RGB"}  # fmt: skip
JPEG_QUALITY = 90


def _open(job: Job) -> Image.Image:
    limit = job.settings.limits.max_image_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(job.data), formats=_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refusal(Reason.TOO_MANY_PIXELS, f"more pixels than the limit, {limit}") from None
    except (OSError, ValueError, SyntaxError):  # UnidentifiedImageError is an OSError
        raise Refusal(Reason.FAILED, "Pillow cannot read the image") from None
    width, height = image.size
    if width * height > limit:
        raise Refusal(Reason.TOO_MANY_PIXELS, f"{width}x{height} pixels; the limit is {limit}")
    if width == 0 or height == 0:
        raise Refusal(Reason.EMPTY, "the image has no pixels")
    return image


def safe_image(job: Job) -> SafeCopy:
    Image.MAX_IMAGE_PIXELS = job.settings.limits.max_image_pixels  # Pillow's own bomb check
    image = _open(job)
    notes = ["re-encoded from its pixels; metadata and any data after the image dropped"]
    frames = int(getattr(image, "n_frames", 1))
    if frames > 1:
        notes.append(f"first of {frames} frames only")
    source_format = image.format
    try:
        image.seek(0)
        upright = ImageOps.exif_transpose(image)
        mode = _MODES.get(upright.mode)
        if mode is None:
            raise Refusal(Reason.UNSUPPORTED, f"pixel mode {upright.mode} is not supported")
        # A new image from the pixels alone: nothing of .info (EXIF, ICC, XMP, comments) follows.
        pixels = upright.convert(mode)
        clean = Image.new(mode, pixels.size)
        clean.paste(pixels)
    except (OSError, ValueError, SyntaxError, EOFError):
        raise Refusal(Reason.FAILED, "the image data is damaged") from None
    out = io.BytesIO()
    if source_format == "JPEG" and mode in ("L", "RGB"):
        clean.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        return SafeCopy(out.getvalue(), renamed(job.filename, "jpg"), "image/jpeg", tuple(notes))
    clean.save(out, "PNG", optimize=False)
    return SafeCopy(out.getvalue(), renamed(job.filename, "png"), "image/png", tuple(notes))
