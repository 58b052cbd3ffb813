"""Recognising a file by its content (app/journeys/uploads.py): what is accepted, what is refused, and what an
image loses on the way (its metadata)."""

from __future__ import annotations

import io
import logging

import pytest
from PIL import Image, PngImagePlugin

from app.journeys import uploads
from app.journeys.uploads import FileRefused, check_file


def saved(image: Image.Image, image_format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


def test_a_png_loses_its_text_chunks_and_keeps_its_pixels():
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Angela DUBOIS")
    original = Image.new("RGBA", (30, 20), (10, 20, 30, 128))
    checked = check_file(saved(original, "PNG", pnginfo=info))
    assert checked.media_type == "image/png" and b"DUBOIS" not in checked.data
    assert Image.open(io.BytesIO(checked.data)).getpixel((5, 5)) == (10, 20, 30, 128)


@pytest.mark.parametrize("mode", ["RGB", "L", "CMYK"])
def test_jpegs_of_every_common_mode_are_accepted(mode):
    checked = check_file(saved(Image.new(mode, (16, 16)), "JPEG"))
    assert checked.media_type == "image/jpeg" and checked.data.startswith(b"\xff\xd8\xff")


def test_a_pdf_is_kept_byte_for_byte():
    pdf = b"%PDF-2.0\n" + bytes(range(256)) + b"\n%%EOF\r\n"
    assert check_file(pdf).data == pdf and check_file(pdf).media_type == "application/pdf"


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"%PDF-1.7\n" + b"x" * 5000, "pdf_truncated"),  # %%EOF missing at the end
    (b"%PDF-1.7\n%%EOF\n" + b"x" * 2000, "pdf_truncated"),  # %%EOF, but not at the end: cut or padded
    (b"%PDF-x\n%%EOF", "unknown_type"),
    (b"MZ\x90\x00" + b"\x00" * 100, "unknown_type"),
    (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "unknown_type"),
    (b"PK\x03\x04" + b"\x00" * 100, "unknown_type"),  # a .docx or a zip
    (b" %PDF-1.4\n%%EOF", "unknown_type"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image_unreadable"),
])
def test_what_is_not_an_accepted_document_is_refused(data, reason):
    with pytest.raises(FileRefused) as refused:
        check_file(data)
    assert refused.value.reason == reason


def test_a_png_announcing_a_jpeg_is_not_decoded_as_something_else():
    png = saved(Image.new("RGB", (8, 8)), "PNG")
    with pytest.raises(FileRefused, match="image_unreadable"):
        check_file(b"\xff\xd8\xff" + png)


def test_too_many_pixels_are_refused_before_decoding(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 100 * 100)
    with pytest.raises(FileRefused, match="image_too_many_pixels"):
        check_file(saved(Image.new("1", (101, 100)), "PNG"))
    assert check_file(saved(Image.new("1", (100, 100)), "PNG")).media_type == "image/png"


def test_pillows_decompression_bomb_guard_is_a_refusal(monkeypatch, caplog):
    monkeypatch.setattr(uploads, "MAX_PIXELS", 10**12)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50 * 50)  # Pillow warns beyond, raises beyond twice that
    with caplog.at_level(logging.INFO), pytest.raises(FileRefused, match="image_unreadable"):
        check_file(saved(Image.new("1", (60, 60)), "PNG"))
    assert "DecompressionBomb" in caplog.text
