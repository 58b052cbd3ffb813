"""What a file really is, from its bytes: a PDF, a JPEG or a PNG, or refused.

The name and the type the browser declares are attacker-supplied and never read here. Images go through Pillow:
it must identify the format the magic number announced, verify the file, and decode every pixel (a truncated or
corrupt image fails there), within a pixel cap and Pillow's decompression-bomb guard. They are then re-encoded:
what reaches the organisation is the picture only, without the EXIF block (a phone's photo carries its GPS
position, the device, the time) nor any text chunk, turned upright as the camera meant it. A PDF is checked for
its header and its end-of-file marker, so a truncated upload or an HTML page named `.pdf` is refused; its content
is not parsed (see README, « Pièces justificatives »).
"""

from __future__ import annotations

import io
import logging
import re
import warnings
from dataclasses import dataclass, field

from PIL import Image, ImageOps

log = logging.getLogger(__name__)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
PDF_HEADER = re.compile(rb"%PDF-[12]\.[0-9]")
PDF_TRAILER_WINDOW = 1024  # PDF readers look for %%EOF within the last 1024 bytes
# A 48-megapixel phone photo is 8000 x 6000; beyond, decoding would take hundreds of MB for one request.
MAX_PIXELS = 50_000_000
JPEG_QUALITY = 90


class FileRefused(Exception):
    """The bytes are not an accepted file; `reason` is a code for logs (never the name nor the content)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CheckedFile:
    media_type: str  # application/pdf, image/jpeg or image/png
    data: bytes = field(repr=False)  # what is stored: the PDF as sent, an image re-encoded


def check_file(data: bytes) -> CheckedFile:
    """The file's media type, from its content, and the bytes to store; FileRefused otherwise."""
    if not data:
        raise FileRefused("empty")
    if PDF_HEADER.match(data):
        if b"%%EOF" not in data[-PDF_TRAILER_WINDOW:]:
            raise FileRefused("pdf_truncated")
        return CheckedFile("application/pdf", data)
    if data.startswith(JPEG_SIGNATURE):
        return CheckedFile("image/jpeg", _reencoded(data, "JPEG"))
    if data.startswith(PNG_SIGNATURE):
        return CheckedFile("image/png", _reencoded(data, "PNG"))
    raise FileRefused("unknown_type")


def _reencoded(data: bytes, image_format: str) -> bytes:
    try:
        with warnings.catch_warnings():
            # Pillow warns past MAX_IMAGE_PIXELS and raises past twice that: both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise FileRefused("image_too_many_pixels")
                image.verify()
            with Image.open(io.BytesIO(data), formats=[image_format]) as image:
                image.load()  # every pixel: a truncated file raises here
                upright = ImageOps.exif_transpose(image)
                return _encode(upright, image_format)
    except FileRefused:
        raise
    except Exception as exc:  # whatever the decoder raises on hostile bytes is a refusal
        log.info("image refused reason=image_unreadable error=%s", type(exc).__name__)
        raise FileRefused("image_unreadable") from None


def _encode(image: Image.Image, image_format: str) -> bytes:
    out = io.BytesIO()
    if image_format == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        # No exif=, no comment: Pillow writes none unless asked. The ICC profile keeps the colours right.
        image.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True, icc_profile=image.info.get("icc_profile"))
    else:
        image.save(out, "PNG", icc_profile=image.info.get("icc_profile"))  # optimize=True takes 10 times longer
    return out.getvalue()
