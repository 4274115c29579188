"""``varsel-portal poster``: an A4 poster for meetings and gatherings.

The Bergen branch's organisational rules, rule 11 (docs/OPERATOR-GUIDE.md, "Posters for
gatherings"), require that at every gathering with an overnight stay the contact persons
for participants are announced at the start. The poster carries their names and phone
numbers next to the QR code to the portal, the onion address when the portal has one,
and a few plain sentences on how to report. Bokmål or nynorsk (``--lang``).
"""

import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

import click
import qrcode
from flask.cli import with_appcontext
from flask_babel import force_locale, gettext
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M

from inbox.casefile import find_unicode_font

from ..services import services

MAX_CONTACTS = 4
MAX_NAME = 60
MAX_EVENT = 80
FOOTER_MM = 22.0  # the footer's distance from the bottom edge
_PHONE = re.compile(r"\+?[0-9][0-9 ]{3,18}[0-9]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class PosterError(click.ClickException):
    """A bad option: one line, exit status 1, no file written."""


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 200:
        raise PosterError(
            f"--url must be the portal's address, like https://varsel.example.org/ (got {url!r})"
        )
    return url


def check_contact(name: str, phone: str) -> tuple[str, str]:
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME or _CONTROL.search(name):
        raise PosterError(
            f"--contact: a name of 1 to {MAX_NAME} characters, then a phone number (got {name!r})"
        )
    number = " ".join(phone.split())
    if not _PHONE.fullmatch(number):
        raise PosterError(
            f"--contact {name!r}: {phone!r} is not a phone number"
            " (digits and spaces, may start with +)"
        )
    return name, number


class _Poster(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        font = find_unicode_font()
        if font is not None:
            self.add_font("Body", "", str(font[0]))
            self.add_font("Body", "B", str(font[1]))
            self.face = "Body"
        else:  # Helvetica covers Latin-1, which holds Norwegian letters
            self.face = "Helvetica"
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(False)
        self.add_page()

    def para(
        self, text: str, size: float, bold: bool = False, gap: float = 2, align: str = "L"
    ) -> None:
        self.set_font(self.face, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, text, align=align, new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)


def draw_poster(
    url: str, onion: str | None, contacts: list[tuple[str, str]], event: str | None
) -> bytes:
    """The poster as PDF bytes, in the language of the current locale."""
    pdf = _Poster()
    if event:
        pdf.para(event, 14, gap=1, align="C")
    pdf.para(gettext("Have you experienced or seen harassment?"), 24, bold=True, gap=2, align="C")
    pdf.para(gettext("Tell us – safely, and anonymously if you wish."), 16, gap=5, align="C")

    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=10, border=4)
    qr.add_data(url)
    qr.make(fit=True)
    image = qr.make_image(fill_color="black", back_color="white").get_image()
    side = 80.0 if len(contacts) <= 2 else 56.0  # room for up to four contact persons
    pdf.image(image, x=(pdf.w - side) / 2, y=pdf.get_y(), w=side, h=side)
    pdf.set_y(pdf.get_y() + side + 1)
    pdf.para(url, 14, bold=True, gap=2, align="C")
    if onion:
        pdf.para(gettext("In Tor Browser:") + " " + onion, 10, gap=4, align="C")

    pdf.para(gettext("How to report"), 15, bold=True, gap=1)
    for sentence in (
        gettext("Scan the code or type the address. You do not have to give your name."),
        gettext(
            "Use your own phone on the mobile network, not a work phone or the venue's"
            " wireless network."
        ),
        gettext(
            "Write what happened. You get a receipt: eight words. Write them down and keep"
            " them safe; nobody can give them to you again."
        ),
        gettext(
            "With the receipt you can log in later, read the party office's replies and"
            " answer them."
        ),
    ):
        pdf.para("•  " + sentence, 11.5, gap=1.5)
    pdf.ln(3)
    if contacts:
        pdf.para(gettext("Contact persons at this gathering"), 15, bold=True, gap=1)
        pdf.para(
            gettext("If something unpleasant happens and you need help here and now, talk to:"),
            11.5,
            gap=2,
        )
        for name, phone in contacts:
            pdf.para(f"{name}   {phone}", 14, bold=True, gap=1)
        pdf.ln(2)
    pdf.para(gettext("If someone is in danger, call 112."), 11.5, bold=True, gap=2)
    if pdf.get_y() > pdf.h - FOOTER_MM:
        raise PosterError("The text does not fit on one page: shorten --event or the names.")
    pdf.set_y(-FOOTER_MM)
    pdf.para(
        gettext(
            "The Labour Party's guidelines against harassment. Rule 11 of the organisational"
            " rules for the Labour Party in Bergen."
        ),
        8.5,
        gap=0,
        align="C",
    )
    return bytes(pdf.output())


@click.command("poster")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--url", required=True, help="The portal's public address (the QR code).")
@click.option(
    "--lang",
    type=click.Choice(["nb", "nn"]),
    default="nb",
    show_default=True,
    help="Bokmål or nynorsk.",
)
@click.option(
    "--contact",
    "contacts",
    type=(str, str),
    multiple=True,
    metavar="NAME PHONE",
    help="A contact person for the gathering (rule 11); give it once per person.",
)
@click.option("--event", help="The gathering's name, printed at the top.")
@click.option("--force", is_flag=True, help="Overwrite OUTPUT.")
@with_appcontext
def poster_command(
    output: Path,
    url: str,
    lang: str,
    contacts: tuple[tuple[str, str], ...],
    event: str | None,
    force: bool,
) -> None:
    """Write an A4 poster (PDF) with the QR code to the portal and the contact persons."""
    url = check_url(url)
    checked = [check_contact(name, phone) for name, phone in contacts]
    if len(checked) > MAX_CONTACTS:
        raise PosterError(f"--contact: at most {MAX_CONTACTS} people fit on the poster")
    if event is not None:
        event = " ".join(event.split())
        if not event or len(event) > MAX_EVENT or _CONTROL.search(event):
            raise PosterError(f"--event: 1 to {MAX_EVENT} characters")
    if not output.parent.is_dir():
        raise PosterError(f"{output.parent} is not a directory")
    if output.exists() and not force:
        raise PosterError(f"{output} exists; add --force to overwrite it")
    with force_locale(lang):
        data = draw_poster(url, services().settings.onion_address, checked, event)
    _write(output, data)
    click.echo(f"Wrote {output} ({lang}): A4, QR code to {url}, {len(checked)} contact persons.")


def _write(path: Path, data: bytes) -> None:
    """All or nothing: a temporary file beside ``path``, renamed over it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".poster-", suffix=".pdf")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


COMMANDS = [poster_command]
