"""``varsel-inbox``: the party office's offline tool (Norwegian user interface).

Every command that reads or changes the store asks for the passphrase (or reads
``VARSEL_INBOX_PASSPHRASE``). Expected failures end with one line starting "Feil:" and a
non-zero exit code: 1 in general, 2 for a wrong passphrase, 3 for a refused bundle.
"""

from pathlib import Path

import click
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from . import attachments as attachment_files
from . import case as cases
from . import outbox, sealed_casefile, threads
from .backup import BackupError, verify_backup, write_backup
from .case_commands import GROUP as case_group
from .case_commands import INTAKE as intake_command
from .case_commands import STATS as stats_command
from .cli_base import (
    HOME_ENV,
    KEEP_METADATA,
    THREAD,
    Ctx,
    InboxGroup,
    echo_json,
    file_option,
    out,
    out_option,
    pass_ctx,
    passphrase,
    qr_ascii,
    write_qr_png,
)
from .editor import edit_text
from .errors import InboxError
from .files import open_input
from .home import Home, default_home, unlock
from .importer import import_bundle
from .init import check_new_passphrase, init_home
from .render import (
    antall,
    case_json,
    render_list,
    render_thread,
    status_label,
    summary_json,
    thread_json,
)
from .rotation import rotate_office_key


@click.group(cls=InboxGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--home",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="MAPPE",
    envvar=HOME_ENV,
    help=f"Mappen der innboksen ligger (standard: {default_home()}; eller {HOME_ENV}).",
)
@click.version_option(
    package_name="varsel", message="varsel-inbox %(version)s", help="Vis versjonen og avslutt."
)
@click.pass_context
def main(ctx: click.Context, home: Path | None) -> None:
    """Varsel-innboksen for partikontoret, på den frakoblede maskinen.

    Importer pakker fra portalen, les varsler, svar varsleren, sett status, før saker
    gjennom behandlingen i retningslinjene (§8–§14), og eksporter en signert pakke
    tilbake til portalen. Verktøyet bruker aldri nettverk.

    SAK er starten av saks-ID-en (nok tegn til at den er entydig).
    """
    ctx.obj = Ctx(Home((home or default_home()).expanduser()))


# -- setting up ------------------------------------------------------------------------------


@main.command()
@click.option(
    "--saksbehandler",
    "handler",
    is_flag=True,
    help="Nøkkelen er en saksbehandlers (for forseglede saksmapper), ikke partikontorets.",
)
@pass_ctx
def init(ctx: Ctx, handler: bool) -> None:
    """Opprett kontorets nøkkel og en tom innboks (én gang per maskin).

    En saksbehandler i et fylkesparti eller lokallag (§8.2) bruker «--saksbehandler»:
    nøkkelen er da for forseglede saksmapper fra partikontoret, ikke for portalen.

    Du velger en passordfrase (minst 12 tegn). Den kan ikke gjenopprettes: oppbevar en
    forseglet papirkopi av nøkkelfilen og passordfrasen i safen. Init overskriver aldri en
    eksisterende innboks.
    """
    home = ctx.home
    if home.path.exists() and any(home.path.iterdir()):
        raise InboxError(f"{home.path} finnes allerede og er ikke tom. Init overskriver aldri.")
    secret = passphrase(confirm=True)
    check_new_passphrase(secret)
    console = out()
    with console.status("Lager nøkkel (tar et par sekunder) …"):
        public = init_home(home, secret)
    console.print(f"Innboksen er opprettet i {home.path}.")
    console.print(
        Panel(
            Text(public.fingerprint, style="bold"),
            title="Kontorets fingeravtrykk",
            title_align="left",
        )
    )
    click.echo(qr_ascii(public.fingerprint))
    if handler:
        console.print(
            f"Send filen {home.office_pub} til partikontoret (e-post eller minnepinne; den er\n"
            "ikke hemmelig). Partikontoret ringer deg: les fingeravtrykket over høyt for dem,\n"
            "tegn for tegn. De lager så forseglede saksmapper som bare du kan åpne\n"
            "(«varsel-inbox open-casefile»). Ikke gi nøkkelen til driftsansvarlig for\n"
            "portalen: portalen skal bare ha partikontorets nøkkel."
        )
        return
    console.print(
        f"Bær filen {home.office_pub} (på en minnepinne) til driftsansvarlig, som kjører\n"
        "«varsel-portal set-office-key». Sammenlign deretter fingeravtrykket på portalens\n"
        "kontorside med fingeravtrykket over – tegn for tegn.\n"
        "Legg så «Varsel – innboks» i programmenyen og på skrivebordet med\n"
        "«varsel-inbox install-launcher»."
    )


@main.command()
@file_option("--qr", "qr_file", "Lagre fingeravtrykket også som QR-kode i en PNG-fil.")
@pass_ctx
def pubkey(ctx: Ctx, qr_file: Path | None) -> None:
    """Vis kontorets offentlige nøkkel og fingeravtrykk (trenger ikke passordfrasen)."""
    public = ctx.home.public_identity()
    console = out()
    console.print(f"Offentlig nøkkel: {ctx.home.office_pub}")
    console.print(Text(public.to_text().rstrip()))
    console.print(Text.assemble("Fingeravtrykk: ", (public.fingerprint, "bold")))
    click.echo(qr_ascii(public.fingerprint))
    pin = ctx.home.read_pin()
    if pin is not None:
        from crypto.bundle import signer_fingerprint

        console.print(f"Festet portalnøkkel: {signer_fingerprint(pin)}")
    if qr_file is not None:
        write_qr_png(public.fingerprint, qr_file)
        console.print(f"QR-koden er lagret i {qr_file}.")


# -- inbound ---------------------------------------------------------------------------------


@main.command("import")
@click.argument("bundle_file", metavar="FIL", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--expect-fingerprint",
    metavar="FINGERAVTRYKK",
    help="Fingeravtrykket portalen skal ha (fra kontorsiden); pakken avvises ellers.",
)
@pass_ctx
def import_(ctx: Ctx, bundle_file: Path, expect_fingerprint: str | None) -> None:
    """Importer en pakke lastet ned fra portalens kontorside (/kontor).

    Pakken kontrolleres i sin helhet før noe lagres: signaturen, portalnøkkelen og hvert
    enkelt varsel og vedlegg. Er pakken endret eller ugyldig, avvises hele pakken og
    ingenting lagres. Kan ett enkelt varsel ikke leses, legges det til side (kryptert, med
    grunnen) og kvitteres, mens resten importeres. Å importere samme pakke to ganger legger
    ikke til noe.
    """
    # Opened here (a missing file is reported before the passphrase is asked for); read
    # only once the key is unlocked, a piece at a time (inbox.importer).
    bundle = open_input(bundle_file)
    console = out()
    with bundle, ctx.open() as (unlocked, store):
        progress = Progress(
            TextColumn("Kontrollerer og dekrypterer"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        with progress:
            task = progress.add_task("import", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = import_bundle(
                ctx.home,
                store,
                unlocked,
                bundle,
                expect_fingerprint=expect_fingerprint,
                progress=advance,
                today=ctx.today,
            )
        pending = outbox.pending(store)
    if summary.pinned_now:
        console.print(
            Panel(
                Text.assemble(
                    "Festet portalnøkkel ",
                    (summary.portal_fingerprint, "bold"),
                    "\nSammenlign den med fingeravtrykket på kontorsiden i portalen. Senere "
                    "pakker godtas bare med denne nøkkelen.",
                ),
                title="Første import",
                title_align="left",
                border_style="yellow",
            )
        )
    for warning in summary.warnings:
        console.print(Text(warning, style="bold yellow"))
    for aside in summary.set_aside:
        console.print(Text(aside.report(), style="bold red"), soft_wrap=True)
    if summary.nothing_new:
        console.print(
            f"Ingenting nytt: {antall(summary.duplicates, 'element', 'elementer')} var "
            "allerede importert (hoppet over)."
        )
    else:
        console.print(
            f"Importert: {antall(summary.new_threads, 'ny sak', 'nye saker')}, "
            f"{antall(summary.new_items, 'nytt element', 'nye elementer')} "
            f"({summary.attachments} vedlegg). Duplikater hoppet over: {summary.duplicates}."
        )
    if summary.newly_confirmed:
        console.print(
            "Portalen har bekreftet "
            f"{antall(summary.newly_confirmed, 'utgående oppføring', 'utgående oppføringer')} "
            f"(til og med pakke {summary.confirmed_sequence}); de sendes ikke igjen."
        )
    console.print(
        "I kø til portalen: "
        f"{_queued(pending.acks, pending.replies, pending.statuses, pending.openings)}. "
        "Eksporter med «varsel-inbox export-outbound FIL»."
    )


def _queued(acks: int, replies: int, statuses: int, openings: int = 0) -> str:
    text = (
        f"{antall(acks, 'kvittering', 'kvitteringer')}, {replies} svar, "
        f"{antall(statuses, 'status', 'statuser')}"
    )
    if openings:  # threads for receipts given to reporters outside the portal
        text += f", {antall(openings, 'ny tråd', 'nye tråder')} på portalen"
    return text


# -- reading ---------------------------------------------------------------------------------


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Skriv ut som JSON.")
@pass_ctx
def list_(ctx: Ctx, as_json: bool) -> None:
    """Vis alle saker med status, uleste, dager siden mottatt og frister.

    Frister: bekreft mottak innen 7 dager, gi tilbakemelding innen 3 måneder
    (EU-direktiv 2019/1937 som beste praksis).
    """
    with ctx.open() as (_, store):
        rows = threads.summaries(store, today=ctx.today)
    if as_json:
        echo_json([summary_json(r) for r in rows])
    else:
        render_list(out(), rows)


@main.command()
@THREAD
@click.option("--json", "as_json", is_flag=True, help="Skriv ut som JSON.")
@pass_ctx
def show(ctx: Ctx, thread: str, as_json: bool) -> None:
    """Les en sak: varselet, meldinger, vedlegg, dine svar og statuser. Merker den som lest."""
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        view = threads.load_thread(store, thread_id)
        case = cases.load_case(store, thread_id) if cases.has_case(store, thread_id) else None
        if as_json:
            obj = thread_json(view, today=ctx.today)
            obj["case"] = case_json(case) if case else None
            echo_json(obj)
        else:
            render_thread(out(), view, case, today=ctx.today)
        threads.mark_read(store, thread_id)


@main.command("attachments")
@THREAD
@out_option("Mappen filene skal skrives til (lages om den ikke finnes).", folder=True)
@KEEP_METADATA
@pass_ctx
def attachments_(ctx: Ctx, thread: str, out_dir: Path, behold_metadata: bool) -> None:
    """Dekrypter vedleggene i en sak og skriv dem til en mappe.

    Filnavn gjøres trygge, eksisterende filer overskrives aldri, og filene åpnes eller
    kjøres aldri. Metadata (EXIF, posisjon) fjernes fra JPEG og PNG; andre filtyper
    skrives som mottatt.
    """
    console = out()
    with ctx.open() as (_, store):
        view = threads.load_thread(store, store.resolve_thread(thread))
        written = attachment_files.write_all(
            store, view, out_dir, remove_metadata=not behold_metadata
        )
    if not written:
        console.print("Saken har ingen vedlegg.")
    for f in written:
        note = "metadata fjernet" if f.metadata_removed else "skrevet som mottatt"
        console.print(Text(f"{f.path}  ({f.size} byte, {note})"))
    if any(not f.metadata_removed for f in written) and not behold_metadata:
        console.print(
            "Merk: metadata kan bare fjernes fra JPEG og PNG. Andre filer (PDF, Word …) kan "
            "inneholde navn og tidspunkter; vurder dette før du deler dem (§6a, §10.2).",
            style="yellow",
        )


# -- outbound --------------------------------------------------------------------------------


@main.command()
@THREAD
@click.option("--message", "-m", help="Svarteksten. Uten denne åpnes $EDITOR.")
@pass_ctx
def reply(ctx: Ctx, thread: str, message: str | None) -> None:
    """Skriv et svar til varsleren. Svaret krypteres til varsleren og legges i kø.

    Bare varsleren kan lese svaret (med kvitteringen sin). Det sendes med neste
    «export-outbound».
    """
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        text = message
        if text is None:
            text = edit_text(ctx.home.path, f"Svar til varsleren i sak {thread_id[:8]}.")
        outbox.queue_reply(store, thread_id, text, today=ctx.today)
    out().print(f"Svaret er kryptert til varsleren og ligger i kø (sak {thread_id[:8]}).")


@main.command()
@THREAD
@click.argument(
    "status",
    metavar="STATUS",
)
@pass_ctx
def status(ctx: Ctx, thread: str, status: str) -> None:
    """Sett statusen varsleren ser: mottatt, bekreftet, under-behandling eller avsluttet."""
    wire = outbox.parse_status(status)
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread, deleted_ok=True)
        outbox.queue_status(store, thread_id, wire, today=ctx.today)
    out().print(f"Status for sak {thread_id[:8]} er satt til «{status_label(wire)}» (i kø).")


@main.command("export-outbound")
@click.argument("bundle_file", metavar="FIL", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def export_outbound(ctx: Ctx, bundle_file: Path) -> None:
    """Skriv en signert pakke til portalen med kvitteringer, svar og statuser.

    Pakken inneholder alt som ikke er bekreftet mottatt av portalen ennå, så en mistet
    minnepinne gjør ikke noe: neste pakke tar med alt på nytt. Last den opp på
    kontorsiden (/kontor).
    """
    with ctx.open() as (unlocked, store):
        summary = outbox.export_outbound(ctx.home, store, unlocked, bundle_file, today=ctx.today)
    out().print(
        f"Pakke nr. {summary.sequence} er skrevet til {summary.path}: "
        f"{_queued(summary.acks, summary.replies, summary.statuses, summary.openings)}. "
        "Last den opp på portalens kontorside."
    )


@main.command("outbox")
@pass_ctx
def outbox_(ctx: Ctx) -> None:
    """Vis hva som venter på å bli sendt til (eller bekreftet av) portalen."""
    with ctx.open() as (_, store):
        pending = outbox.pending(store)
    out().print(
        "Venter: "
        f"{_queued(pending.acks, pending.replies, pending.statuses, pending.openings)}."
    )


@main.command()
@click.option(
    "--no-browser",
    is_flag=True,
    help="Ikke åpne nettleseren; bare skriv ut adressen (som bare kan brukes én gang).",
)
@click.option(
    "--idle-minutes",
    type=click.FloatRange(min=0.05),
    default=15.0,
    show_default=True,
    metavar="MINUTTER",
    help="Lås innboksen etter så mange minutter uten bruk.",
)
@pass_ctx
def desk(ctx: Ctx, no_browser: bool, idle_minutes: float) -> None:
    """Åpne skrivebordet: innboksen i nettleseren på denne maskinen.

    Spør om passordfrasen og åpner nettleseren på en adresse med en engangsnøkkel. Bare
    denne maskinen (127.0.0.1) kan nå skrivebordet, og bare nettleseren som åpnet
    adressen. Det låses når du trykker «Lås», avslutter med Ctrl+C, eller lar det stå
    ubrukt (--idle-minutes). Alt gjøres med de samme funksjonene som kommandoene.
    """
    from .desk.server import serve

    ctx.home.require()
    unlocked = unlock(ctx.home, passphrase())
    click.echo("Skrivebordet er åpent på denne adressen (bare for denne maskinen, én gang):")
    serve(
        ctx.home,
        unlocked,
        idle_seconds=idle_minutes * 60,
        open_browser=not no_browser,
        say=lambda line: click.echo(line),
    )
    click.echo("Skrivebordet er lukket, og innboksen er låst.")


@main.command("install-launcher")
@pass_ctx
def install_launcher(ctx: Ctx) -> None:
    """Legg «Varsel – innboks» i programmenyen og på skrivebordet (én gang per PC).

    Etterpå starter et dobbeltklikk på «Varsel – innboks» skrivebordet for denne innboksen
    (samme som «varsel-inbox desk»): et lite vindu spør om passordfrasen, og nettleseren
    åpnes av seg selv. Kjør kommandoen på nytt hvis programmet eller innboksen flyttes.
    """
    from . import launcher

    for path in launcher.install(ctx.home):
        click.echo(f"Lagt inn: {path}")
    click.echo(
        f"Dobbeltklikk på «{launcher.NAME}» (i programmenyen eller på skrivebordet) for å "
        "åpne skrivebordet."
    )


# -- for the case handler --------------------------------------------------------------------


@main.command("open-casefile")
@click.argument("casefile_path", metavar="FIL", type=click.Path(dir_okay=False, path_type=Path))
@out_option(
    "Mappen PDF-en og vedleggene skal skrives til (lages om den ikke finnes).", folder=True
)
@click.option(
    "--expect-fingerprint",
    metavar="FINGERAVTRYKK",
    help="Partikontorets fingeravtrykk; saksmappen avvises om den er signert av en annen.",
)
@KEEP_METADATA
@pass_ctx
def open_casefile(
    ctx: Ctx,
    casefile_path: Path,
    out_dir: Path,
    expect_fingerprint: str | None,
    behold_metadata: bool,
) -> None:
    """For saksbehandleren: åpne en forseglet saksmappe fra partikontoret (§6a).

    Bruker din egen nøkkel (fra «varsel-inbox init») og passordfrasen din. Signaturen og
    hele innholdet kontrolleres før noe skrives; er filen endret, avkortet eller ikke til
    deg, skrives ingenting. Filnavn gjøres trygge, og eksisterende filer overskrives aldri.
    """
    ctx.home.require()
    unlocked = unlock(ctx.home, passphrase())
    opened = sealed_casefile.open_sealed_casefile(
        casefile_path,
        unlocked.identity,
        out_dir,
        expect_fingerprint=expect_fingerprint,
        remove_metadata=not behold_metadata,
    )
    console = out()
    manifest = opened.manifest
    console.print(
        Text.assemble(
            f"Saksmappe for sak {manifest.case[:8]}, laget {manifest.created_day}, signert av "
            "partikontoret med fingeravtrykk ",
            (opened.signer_fingerprint, "bold"),
            ".",
        )
    )
    if expect_fingerprint is None:
        console.print(
            "Sammenlign fingeravtrykket med partikontorets (les det opp på telefon).",
            style="yellow",
        )
    for f in opened.files:
        note = "metadata fjernet" if f.metadata_removed else "skrevet som mottatt"
        console.print(Text(f"{f.path}  ({f.size} byte, {note})"))
    console.print(
        "Behandle filene fortrolig (§6a). Når saken er ferdig, leveres alt tilbake til "
        "partikontoret og kopiene slettes (§6b).",
        style="yellow",
    )


main.add_command(case_group)
main.add_command(intake_command)
main.add_command(stats_command)


# -- backup --------------------------------------------------------------------------------


@main.command("backup")
@click.argument("destination", type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def backup_(ctx: Ctx, destination: Path) -> None:
    """Kopier innboksen, kryptert som den er, til en ny mappe (en annen minnepinne).

    Kopien er like kryptert som innboksen: den åpnes bare med kontorets passordfrase.
    Databasen kopieres med SQLites sikkerhetskopi, og hver fil kontrolleres mot en
    SHA-256-liste (MANIFEST.json). Ta den i bruk med «varsel-inbox --home MAPPE …».
    """
    ctx.home.require()
    if destination.exists():
        raise InboxError(
            f"{destination} finnes allerede. Velg en ny mappe; backup overskriver aldri."
        )
    try:
        count = write_backup(
            ctx.home.path, destination, "varsel-inbox", [ctx.home.database.name], today=ctx.today
        )
        verify_backup(destination, "varsel-inbox")
    except (BackupError, OSError) as error:
        raise InboxError(f"Sikkerhetskopien ble ikke skrevet: {error}") from None
    click.echo(f"Kopierte {count} filer til {destination} og kontrollerte dem.")


@main.command("rotate-key")
@pass_ctx
def rotate_key(ctx: Ctx) -> None:
    """Bytt kontorets nøkkel: en ny nøkkel, signert med den gamle.

    Den gamle nøkkelen legges i retired/ og åpner fortsatt eldre varsler. Neste utgående
    pakke bærer den nye nøkkelen til portalen, signert med den gamle; portalen bytter først
    når signaturen stemmer. Inntil portalen har bekreftet pakken, signeres utgående pakker
    med den gamle nøkkelen.
    """
    ctx.home.require()
    secret = passphrase()
    unlocked = unlock(ctx.home, secret)
    public = rotate_office_key(ctx.home, unlocked, secret)
    out().print(
        Panel(
            Text(public.fingerprint, style="bold"), title="Nytt fingeravtrykk", title_align="left"
        )
    )
    click.echo(
        "Eksporter en utgående pakke og last den opp på portalen: den bærer den nye nøkkelen.\n"
        "Sammenlign deretter fingeravtrykket på portalens kontorside med det over."
    )
