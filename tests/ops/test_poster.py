"""``varsel-portal poster``: the A4 PDF is rendered to PNG with pdftoppm and its QR code
decoded with zbarimg (a real decoder); the text is read back with pdftotext."""

import os
import subprocess
from pathlib import Path

import pytest

from .conftest import VENV_BIN

ONION = "2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion"
URL = "https://varsel.example.org/"


def run_poster(
    tmp_path: Path, *args: str, onion: str | None = ONION
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_DATA_DIR"] = str(tmp_path / "data")
    if onion:
        env["VARSEL_ONION_ADDRESS"] = onion
    return subprocess.run(
        [str(VENV_BIN / "varsel-portal"), "poster", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def decode_qr(pdf: Path) -> list[str]:
    png_base = pdf.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(png_base)],
        check=True,
        timeout=60,
    )
    png = png_base.with_suffix(".png")
    assert png.exists()
    result = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def pdf_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


def pdf_pages(pdf: Path) -> tuple[int, str]:
    info = subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    size = next(line for line in info.splitlines() if line.startswith("Page size:"))
    return pages, size


@pytest.mark.parametrize(
    ("lang", "heading", "contacts_heading"),
    [
        ("nb", "Har du opplevd eller sett trakassering?", "Kontaktpersoner på denne samlingen"),
        ("nn", "Har du opplevd eller sett trakassering?", "Kontaktpersonar på denne samlinga"),
    ],
)
def test_poster_qr_code_decodes_to_the_portal_and_lists_the_contacts(
    tmp_path: Path, lang: str, heading: str, contacts_heading: str
) -> None:
    pdf = tmp_path / f"plakat-{lang}.pdf"
    result = run_poster(
        tmp_path,
        str(pdf),
        "--url",
        URL,
        "--lang",
        lang,
        "--contact",
        "Kari Nordmann",
        "+47 912 34 567",
        "--contact",
        "Ola Åsheim",
        "48 00 11 22",
        "--event",
        "Sommerskolen på Utøya",
    )
    assert result.returncode == 0, result.stderr
    assert decode_qr(pdf) == [URL]
    pages, size = pdf_pages(pdf)
    assert pages == 1 and "(A4)" in size
    text = " ".join(pdf_text(pdf).split())
    for expected in (
        heading,
        contacts_heading,
        "Kari Nordmann",
        "+47 912 34 567",
        "Ola Åsheim",
        "48 00 11 22",
        ONION,
        URL,
        "112",
        "Sommerskolen på Utøya",
    ):
        assert expected in text, expected


def test_without_contacts_or_onion_the_poster_still_carries_the_code(tmp_path: Path) -> None:
    pdf = tmp_path / "plakat.pdf"
    result = run_poster(tmp_path, str(pdf), "--url", URL, onion=None)
    assert result.returncode == 0, result.stderr
    assert decode_qr(pdf) == [URL]
    text = pdf_text(pdf)
    assert ".onion" not in text and "Kontaktperson" not in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "varsel.example.org"], "--url"),
        (["--url", URL, "--contact", "Kari", "ring meg"], "not a phone number"),
        (["--url", URL, "--contact", "", "912 34 567"], "--contact"),
        (["--url", URL, "--contact", "Kari\u202e", "912 34 567"], "--contact"),
        (["--url", URL, "--lang", "sv"], "sv"),
    ],
)
def test_bad_options_give_one_clear_line_and_no_file(
    tmp_path: Path, args: list[str], message: str
) -> None:
    pdf = tmp_path / "plakat.pdf"
    result = run_poster(tmp_path, str(pdf), *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not pdf.exists() and not list(tmp_path.glob(".poster-*"))


def test_an_existing_file_is_kept_without_force(tmp_path: Path) -> None:
    pdf = tmp_path / "plakat.pdf"
    pdf.write_bytes(b"keep me")
    result = run_poster(tmp_path, str(pdf), "--url", URL)
    assert result.returncode == 1 and "--force" in result.stderr
    assert pdf.read_bytes() == b"keep me"
    assert run_poster(tmp_path, str(pdf), "--url", URL, "--force").returncode == 0
    assert decode_qr(pdf) == [URL]


def test_four_contacts_and_a_long_event_fit_on_one_page_five_do_not(tmp_path: Path) -> None:
    people = [
        ("Kari Nordmann-Haugland", "+47 912 34 567"),
        ("Ola Nordmann", "+47 987 65 432"),
        ("Per Persen", "900 00 000"),
        ("Anne Annesen", "+47 400 00 000"),
    ]
    args = [a for name, phone in people for a in ("--contact", name, phone)]
    pdf = tmp_path / "plakat.pdf"
    event = "Sommarskulen til Hordaland Arbeidarparti 2025, Solstrand hotell og bad, Os"
    result = run_poster(tmp_path, str(pdf), "--url", URL, "--lang", "nn", "--event", event, *args)
    assert result.returncode == 0, result.stderr
    assert decode_qr(pdf) == [URL]
    assert pdf_pages(pdf)[0] == 1
    assert "Anne Annesen" in pdf_text(pdf)
    five = run_poster(
        tmp_path,
        str(tmp_path / "fem.pdf"),
        "--url",
        URL,
        *args,
        "--contact",
        "Nils Nilsen",
        "911 11 111",
    )
    assert five.returncode == 1 and "at most 4" in five.stderr
