"""KYC documents are recognised by their bytes, not by their name or declared type."""

from __future__ import annotations

import pytest

from shared_models.kyc_documents import InvalidDocumentError, sniff_mime

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 10
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF"


@pytest.mark.parametrize(
    ("content", "mime"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (PDF, "application/pdf")],
)
def test_accepted_types(content: bytes, mime: str) -> None:
    assert sniff_mime(content) == mime


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00",
        b"\x7fELF\x02\x01",
        b"GIF89a....",
        b"\x89PNG\r\n\x1a\n",  # a PNG signature with no IHDR chunk
        b"%PDF-9.9",
        b"PK\x03\x04",  # zip / docx
        b"<svg xmlns='http://www.w3.org/2000/svg'/>",
        b"  %PDF-1.4",
    ],
)
def test_other_content_is_refused(content: bytes) -> None:
    with pytest.raises(InvalidDocumentError) as exc:
        sniff_mime(content)
    assert exc.value.code == "documento_tipo_invalido"
    assert "JPEG" in exc.value.message


@pytest.mark.parametrize(
    "active", [b"/JavaScript", b"/JS (x)", b"/Launch", b"/EmbeddedFile", b"/RichMedia"]
)
def test_pdfs_with_active_content_are_refused(active: bytes) -> None:
    with pytest.raises(InvalidDocumentError) as exc:
        sniff_mime(PDF + b"\n<< /S " + active + b" >>")
    assert exc.value.code == "documento_pdf_ativo"


def test_a_name_that_merely_starts_like_an_active_key_is_fine() -> None:
    assert sniff_mime(PDF + b"\n<< /JSONData 1 >>") == "application/pdf"


def test_empty_is_refused() -> None:
    with pytest.raises(InvalidDocumentError) as exc:
        sniff_mime(b"")
    assert exc.value.code == "documento_vazio"
