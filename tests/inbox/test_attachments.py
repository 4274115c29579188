"""Attachments: exact bytes, safe names, no overwriting, metadata stripped from images."""

import io
import os
import stat
from pathlib import Path

from PIL import Image

from inbox.attachments import safe_name

from .conftest import Office, Portal, Reporter, answers


def write(tmp_path: Path, data: bytes, name: str = "inn.vsb") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (32, 24), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "Telefonprodusent"  # Make
    exif[0x0131] = "SPORBAR-PROGRAMVARE"  # Software
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def test_safe_name() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("..\\x.txt") == "x.txt"
    assert safe_name("C:\\Users\\ola\\rapport.pdf") == "rapport.pdf"
    assert safe_name(".bashrc") == "bashrc"
    assert safe_name("...") == "vedlegg"
    assert safe_name("") == "vedlegg"
    assert safe_name("a\x00b\x1b[31m.txt") == "ab[31m.txt"
    assert safe_name("bilde\u202egpj.exe") == "bildegpj.exe"
    assert safe_name("CON.txt") == "_CON.txt"
    assert safe_name("notat. ") == "notat"
    assert len(safe_name("x" * 500 + ".pdf").encode()) <= 200
    emoji = safe_name("\U0001f600" * 130 + ".pdf")  # bytes, not characters, are bounded
    assert len(emoji.encode()) <= 200 and emoji.endswith(".pdf") and emoji[0] == "\U0001f600"
    assert safe_name("x" * 500 + ".pdf").endswith(".pdf")


def test_attachments_are_written_exactly_with_safe_names_and_mode_0600(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    big = os.urandom(300_000)  # several stream chunks
    files = [
        ("../../etc/passwd", b"root:x:0:0\n", "text/plain"),
        ("..\\x.txt", b"backslash\n", "text/plain"),
        ("opptak.bin", big, "application/octet-stream"),
        ("x.txt", b"samme navn\n", "text/plain"),
    ]
    thread = portal.report(reporter, answers(), files)
    office.ok("import", write(tmp_path, portal.bundle()))
    out = tmp_path / "ut"
    result = office.ok("attachments", thread, "--out", str(out))
    names = sorted(os.listdir(out))
    assert names == ["opptak.bin", "passwd", "x (2).txt", "x.txt"]
    assert (out / "passwd").read_bytes() == b"root:x:0:0\n"
    assert (out / "x.txt").read_bytes() == b"backslash\n"
    assert (out / "x (2).txt").read_bytes() == b"samme navn\n"
    assert (out / "opptak.bin").read_bytes() == big
    for name in names:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    assert not (tmp_path / "etc").exists()
    assert "skrevet som mottatt" in result.output
    # A second run never overwrites: it adds numbered copies.
    office.ok("attachments", thread, "--out", str(out))
    assert (out / "passwd (2)").read_bytes() == b"root:x:0:0\n"
    assert (out / "x.txt").read_bytes() == b"backslash\n"
    assert not [n for n in os.listdir(out) if n.startswith(".varsel-")]


def test_exif_is_stripped_from_jpeg_unless_asked_to_keep_it(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    original = jpeg_with_exif()
    assert b"SPORBAR-PROGRAMVARE" in original
    thread = portal.report(reporter, answers(), [("foto.jpg", original, "image/jpeg")])
    office.ok("import", write(tmp_path, portal.bundle()))
    result = office.ok("attachments", thread, "--out", str(tmp_path / "renset"))
    assert "metadata fjernet" in result.output
    cleaned = (tmp_path / "renset" / "foto.jpg").read_bytes()
    assert b"SPORBAR-PROGRAMVARE" not in cleaned and b"Exif" not in cleaned
    with Image.open(io.BytesIO(cleaned)) as image:
        assert image.size == (32, 24)
        assert not image.getexif()
    office.ok("attachments", thread, "--out", str(tmp_path / "rå"), "--behold-metadata")
    assert (tmp_path / "rå" / "foto.jpg").read_bytes() == original


def test_a_damaged_blob_in_the_home_is_refused(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(reporter, answers(), [("a.txt", b"innhold", "text/plain")])
    office.ok("import", write(tmp_path, portal.bundle()))
    (blob,) = office.home.blobs.iterdir()
    data = bytearray(blob.read_bytes())
    data[-1] ^= 1
    blob.write_bytes(bytes(data))
    result = office.run("attachments", thread, "--out", str(tmp_path / "ut"))
    assert result.exit_code == 1 and "skadet" in result.output
    assert os.listdir(tmp_path / "ut") == []
