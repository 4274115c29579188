"""What every ``varsel-inbox`` command shares: the failures it shows, the context that
unlocks the store, the passphrase prompt, the console and the QR code helpers.
``inbox.cli`` and ``inbox.case_commands`` both build on it."""

import io
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import click
from click.decorators import FC
from rich.console import Console
from rich.panel import Panel
from rich.text import Text

from crypto.errors import CryptoError

from . import clock
from .click_language import click_language, usage_word
from .errors import InboxError, PortalKeyChanged
from .files import new_file
from .home import Home, Unlocked, unlock
from .store import Store

PASSPHRASE_ENV = "VARSEL_INBOX_PASSPHRASE"  # noqa: S105 (the variable's name)
HOME_ENV = "VARSEL_INBOX_HOME"


class Failure(click.ClickException):
    """One line on stderr, "Feil: ...", and the error's exit code."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Feil: {self.format_message()}", err=True)


class PassphraseFailure(Failure):
    exit_code = 2


class RefusedFailure(Failure):
    exit_code = 3


_FAILURES: dict[int, type[Failure]] = {2: PassphraseFailure, 3: RefusedFailure}


def _fail(error: Exception) -> NoReturn:
    if isinstance(error, PortalKeyChanged):
        Console(stderr=True).print(
            Panel(
                Text(
                    "Pakken er signert med en annen nøkkel enn portalnøkkelen denne innboksen "
                    "har festet. Det kan bety at noen utgir seg for å være portalen, eller at "
                    "portalen er satt opp på nytt.\n\n"
                    f"Festet nøkkel:   {error.pinned}\n"
                    f"Nøkkel i pakken: {error.found}\n\n"
                    "Ingenting er importert. Ikke bruk pakken. Kontakt driftsansvarlig og "
                    "sammenlign fingeravtrykket på kontorsiden i portalen.",
                ),
                title="AVVIST – PORTALNØKKELEN ER ENDRET",
                border_style="bold red",
                style="red",
            )
        )
    code = error.exit_code if isinstance(error, InboxError) else 1
    raise _FAILURES.get(code, Failure)(str(error)) from error


class InboxCommand(click.Command):
    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [usage_word(p) if p == "[OPTIONS]" else p for p in pieces]


class InboxGroup(click.Group):
    command_class = InboxCommand

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (InboxError, CryptoError) as error:
            _fail(error)

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # click's own words (usage, errors) in the inbox's language: inbox/click_language.py
        with click_language():
            return super().main(*args, **kwargs)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        return [usage_word(p) if p in ("[OPTIONS]", "COMMAND [ARGS]...") else p for p in pieces]


InboxGroup.group_class = InboxGroup


@dataclass
class Ctx:
    home: Home
    # The day of this command: the one place the command line reads the clock.
    today: date = field(default_factory=clock.today)

    @contextmanager
    def open(self) -> Iterator[tuple[Unlocked, Store]]:
        self.home.require()
        unlocked = unlock(self.home, passphrase())
        store = Store.open(self.home, unlocked.store_key)
        try:
            yield unlocked, store
        finally:
            store.close()


def passphrase(*, confirm: bool = False) -> str:
    from_env = os.environ.get(PASSPHRASE_ENV)
    if from_env is not None:
        return from_env
    value: str = click.prompt(
        "Passordfrase",
        hide_input=True,
        confirmation_prompt="Gjenta passordfrasen" if confirm else False,
        err=True,
    )
    return value


def confirm(question: str) -> bool:
    """Ask a yes/no question in Norwegian: «j»/«ja» (or «y»/«yes») means yes; default no."""
    answer: str = click.prompt(
        f"{question} [j/N]", default="", show_default=False, prompt_suffix=" "
    )
    return answer.strip().lower() in ("j", "ja", "y", "yes")


def out() -> Console:
    return Console(highlight=False, soft_wrap=False)


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2))


def qr_ascii(text: str) -> str:
    import qrcode

    qr = qrcode.QRCode(border=2)
    qr.add_data(text)
    qr.make(fit=True)
    buffer = io.StringIO()
    qr.print_ascii(out=buffer, invert=True)
    return buffer.getvalue()


def write_qr_png(text: str, path: Path) -> None:
    import qrcode
    from qrcode.image.pil import PilImage

    qr = qrcode.QRCode(border=4, box_size=10)
    qr.add_data(text)
    qr.make(fit=True)
    image = qr.make_image(image_factory=PilImage)
    with new_file(path, 0o644) as f:
        image.save(f, format="PNG")


pass_ctx = click.make_pass_decorator(Ctx)
THREAD = click.argument("thread", metavar="SAK")
KEEP_METADATA = click.option(
    "--behold-metadata",
    is_flag=True,
    help="Skriv bildene nøyaktig som mottatt, uten å fjerne metadata (EXIF).",
)


def file_option(flag: str, name: str, help: str, *, required: bool = False) -> Callable[[FC], FC]:
    """An option naming a file the command writes (it never overwrites one)."""
    kind = click.Path(dir_okay=False, path_type=Path)
    return click.option(flag, name, required=required, type=kind, help=help)


def out_option(help: str, *, folder: bool = False) -> Callable[[FC], FC]:
    """``--out``, required: the file a command writes (``out_file``), or with ``folder`` the
    folder it writes its files to (``out_dir``)."""
    if folder:
        kind = click.Path(file_okay=False, path_type=Path)
        return click.option("--out", "out_dir", required=True, type=kind, help=help)
    return file_option("--out", "out_file", help, required=True)
