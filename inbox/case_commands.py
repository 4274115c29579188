"""``varsel-inbox case ...``: handling a report under the guidelines against harassment
(§6-§14). The group is registered on ``varsel-inbox`` by inbox.cli."""

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import click
from click.decorators import FC
from rich.panel import Panel
from rich.text import Text

from . import case as cases
from . import casefile, decision, handover, innsyn, intake, receipts, stats, threads
from .cli_base import (
    THREAD,
    Ctx,
    InboxGroup,
    confirm,
    echo_json,
    file_option,
    out,
    out_option,
    pass_ctx,
)
from .editor import edit_text
from .errors import InboxError
from .render import case_json, render_case
from .statuses import status_label
from .untrusted import clean

# -- handling --------------------------------------------------------------------------------


def show_receipt(issued: receipts.IssuedReceipt) -> None:
    """The receipt, once: the office writes it down or prints it for the reporter."""
    words = issued.receipt.split(" ")
    out().print(
        Panel(
            Text(
                f"{' '.join(words[:4])}\n{' '.join(words[4:])}\n\n"
                "Gi disse åtte ordene til varsleren, på papir eller muntlig, og ikke på "
                "e-post eller SMS. Med dem logger varsleren inn under «Følg opp» på portalen "
                "og får den samme toveiskanalen som ved et varsel sendt der: varsleren ser "
                "det som ble fortalt, statusen og svarene, og kan sende meldinger og filer.\n\n"
                "Ordene vises bare nå. De lagres ikke og kan ikke hentes fram igjen. "
                "Tråden opprettes når neste utgående pakke er lastet opp på kontorsiden "
                "(«varsel-inbox export-outbound FIL»); før det virker ikke ordene."
            ),
            title=f"Kvitteringsord for sak {issued.thread[:8]}",
            title_align="left",
            border_style="bold",
        )
    )




class Day(click.DateTime):
    """A day written ÅÅÅÅ-MM-DD, given to the command as a ``date`` (click's own checks)."""

    def __init__(self) -> None:
        super().__init__(formats=["%Y-%m-%d"])

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return super().convert(value, param, ctx).date()


DAY = Day()
# Who handles the case (§8.2): for «case open» and «intake».
LEVEL = click.option(
    "--level",
    type=click.Choice(list(cases.LEVELS)),
    help="Hvilket nivå som håndterer saken (§8.2). Standard: partikontoret.",
)


def decided_by(help: str) -> Callable[[FC], FC]:
    """Who decided (§13.1), for «case decide» and «case reaction»."""
    return click.option("--decided-by", required=True, metavar="ORGAN", help=help)


@click.group("case", cls=InboxGroup)
def case_group() -> None:
    """Behandling av en sak etter retningslinjene mot trakassering (§8–§14).

    Tilstander: mottatt → bekreftet (§9.1) → anklagedes-versjon (§9.2) →
    omforent-losning (§9.3) → avsluttet, eller undersokelse (§10.1) → kontradiksjon
    (§10.2) → avgjort (§10.4) → reaksjon (§13, §14) → avsluttet → overlevert (§6b).

    Videresend til en saksbehandler med «case export SAK --to NØKKEL.pub» (§6a); avslutt og
    slett med «case close-out SAK» (§6b).
    """


@case_group.command("open")
@THREAD
@LEVEL
@click.option(
    "--central-office",
    is_flag=True,
    help="Saken gjelder en person i sentralt verv: partikontoret håndterer alltid (§8.2).",
)
@click.option(
    "--employer",
    is_flag=True,
    help="En involvert er ansatt i partiet: involver arbeidsgiver (§11).",
)
@click.option(
    "--possible-crime",
    is_flag=True,
    help="Mulig straffbart forhold: oppfordre den utsatte til å anmelde (§1).",
)
@click.option("--handler", metavar="NAVN", help="Navngitt saksbehandler (§6a: kun de som må vite).")
@pass_ctx
def case_open(ctx: Ctx, /, thread: str, **options: Any) -> None:
    """Ta et varsel inn til behandling som en sak (tilstand «mottatt»)."""
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        case, advice = cases.open_case(store, thread_id, today=ctx.today, **options)
    console = out()
    console.print(f"Sak {thread_id[:8]} er til behandling på nivå {cases.LEVELS[case.meta.level]}.")
    for line in advice:
        console.print(Text(f"• {line}", style="yellow"))


@case_group.command("note")
@THREAD
@click.option("--text", "-t", help="Teksten. Uten denne åpnes $EDITOR.")
@click.option(
    "--kind",
    type=click.Choice(list(cases.NOTE_KINDS)),
    default="referat",
    show_default=True,
    help="referat: fra samtale med en berørt (§9.5); notat; informert: partene er "
    "orientert (§9.4).",
)
@pass_ctx
def case_note(ctx: Ctx, thread: str, text: str | None, kind: str) -> None:
    """Før et referat eller notat i sakens logg (datert)."""
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        cases.load_case(store, thread_id)
        if text is None:
            text = edit_text(ctx.home.path, f"{cases.NOTE_KINDS[kind]} for sak {thread_id[:8]}.")
        cases.add_note(store, thread_id, kind, text, today=ctx.today)
    out().print(f"{cases.NOTE_KINDS[kind]} er ført i loggen for sak {thread_id[:8]}.")


@case_group.command("state")
@THREAD
@click.argument("state", metavar="TILSTAND", type=click.Choice(list(cases.STATES)))
@click.option(
    "--review-date",
    type=DAY,
    help="Dato for revurdering (ÅÅÅÅ-MM-DD); påkrevd for «reaksjon» (§13, §14).",
)
@click.option(
    "--tell",
    metavar="TEKST",
    help="Det dere vil fortelle varsleren om dette steget, med egne ord (§9.4). Sendes som "
    "et kryptert svar med neste «export-outbound». Skriv aldri saksopplysninger her som "
    "varsleren ikke skal ha.",
)
@pass_ctx
def case_state(
    ctx: Ctx, thread: str, state: str, review_date: date | None, tell: str | None
) -> None:
    """Flytt saken til neste tilstand. Bare overganger retningslinjene tillater godtas.

    Statusen varsleren ser på portalen, følger tilstanden av seg selv (mottatt → «Mottatt»,
    bekreftet → «Bekreftet», avsluttet/overlevert → «Avsluttet», alt imellom → «Under
    behandling»). Hva varsleren får vite med ord, velger dere med --tell.
    """
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        case = cases.change_state(
            store, thread_id, state, review_day=review_date, tell=tell, today=ctx.today
        )
    console = out()
    console.print(f"Sak {thread_id[:8]}: {cases.STATES[case.state]}.")
    console.print(
        f"Varsleren ser statusen «{status_label(cases.REPORTER_STATUS[case.state])}»"
        + (" og får svaret deres" if tell else "")
        + " etter neste «export-outbound»."
    )
    if state == "overlevert":
        console.print(
            "Sørg for at utskrifter og kopier hos saksbehandlere er levert tilbake og slettet "
            "(§6b).",
            style="yellow",
        )


@case_group.command("receipt")
@THREAD
@pass_ctx
def case_receipt(ctx: Ctx, thread: str) -> None:
    """Gi en varsler som kom utenfor portalen, kvitteringsord til en tråd der (§9.4).

    Varsleren kan da følge opp anonymt som ved et varsel sendt på portalen. Ordene vises én
    gang og lagres ikke. Tråden opprettes med neste utgående pakke.
    """
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        issued = receipts.issue_receipt(ctx.home, store, thread_id, today=ctx.today)
    show_receipt(issued)


@case_group.command("show")
@THREAD
@click.option("--json", "as_json", is_flag=True, help="Skriv ut som JSON.")
@pass_ctx
def case_show(ctx: Ctx, thread: str, as_json: bool) -> None:
    """Vis sakens tilstand, nivå, merknader, tid brukt og logg."""
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        case = cases.load_case(store, thread_id)
        received = threads.load_thread(store, thread_id).received_day
    if as_json:
        echo_json(case_json(case))
    else:
        render_case(out(), case, received, today=ctx.today)


@case_group.command("declare")
@THREAD
@click.option(
    "--to",
    "handler_key",
    required=True,
    metavar="SAKSBEHANDLER.pub",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Saksbehandlerens offentlige nøkkel (den samme som brukes med «case export --to»).",
)
@click.option("--name", required=True, metavar="NAVN", help="Saksbehandlerens navn.")
@click.option(
    "--impartial",
    "kind",
    flag_value="habil",
    help="Saksbehandleren erklærer at hen ikke er inhabil i saken (§6d).",
)
@click.option(
    "--not-applicable",
    "not_applicable",
    metavar="GRUNN",
    help="Habilitetsspørsmålet oppstår ikke; oppgi hvorfor.",
)
@click.option(
    "--biased",
    metavar="GRUNN",
    help="Saksbehandleren er inhabil; hen kan da ikke få saken.",
)
@pass_ctx
def case_declare(
    ctx: Ctx,
    thread: str,
    handler_key: Path,
    name: str,
    kind: str | None,
    not_applicable: str | None,
    biased: str | None,
) -> None:
    """Før saksbehandlerens habilitetserklæring (§6d) før saken gis videre (§6a).

    Saken skal behandles uhildet (§6d). Før «case export --to» må saksbehandleren ha
    erklært seg habil, eller dere må føre hvorfor spørsmålet ikke oppstår. En saksbehandler
    som erklærer seg inhabil, kan ikke få saken. Erklæringen føres i sakens logg.
    """
    chosen = [k for k, v in (("habil", kind), ("ikke-aktuelt", not_applicable),
                             ("inhabil", biased)) if v]  # fmt: skip
    if len(chosen) != 1:
        raise InboxError(
            "Velg nøyaktig én av --impartial, --not-applicable GRUNN og --biased GRUNN."
        )
    recipient = handover.read_handler_key(handler_key)
    reason = not_applicable or biased or ""
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        found = cases.declare(
            store,
            thread_id,
            fingerprint=recipient.fingerprint,
            name=name,
            kind=chosen[0],
            reason=reason,
            today=ctx.today,
        )
    console = out()
    console.print(Text(f"Ført i loggen for sak {thread_id[:8]}: {clean(found.line())} (§6d)."))
    if found.biased:
        console.print(
            "Denne saksbehandleren kan ikke få saken. Velg en annen (§6d).", style="yellow"
        )


@case_group.command("export")
@THREAD
@out_option("Filen som skal lages (overskrives aldri).")
@click.option(
    "--to",
    "handler_key",
    metavar="SAKSBEHANDLER.pub",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Saksbehandlerens offentlige nøkkel: lag en forseglet saksmappe som bare "
    "saksbehandleren kan åpne (§6a).",
)
@click.option(
    "--handler-name",
    metavar="NAVN",
    help="Saksbehandlerens navn, slik det skal stå i sakens logg (ellers fingeravtrykket).",
)
@click.option("--yes", "-y", is_flag=True, help="Ikke spør om bekreftelse av fingeravtrykket.")
@pass_ctx
def case_export(
    ctx: Ctx,
    thread: str,
    out_file: Path,
    handler_key: Path | None,
    handler_name: str | None,
    yes: bool,
) -> None:
    """Lag en saksmappe: sakshode, varselet, samtalen, loggen (og vedleggene).

    Med --to SAKSBEHANDLER.pub lages en forseglet saksmappe: PDF-en og alle vedlegg,
    kryptert slik at bare saksbehandleren kan åpne den (med «varsel-inbox open-casefile»),
    og signert av kontoret. Fingeravtrykket vises og må bekreftes (sammenlign det med
    saksbehandleren på telefon). Videresendingen føres i sakens logg.

    Uten --to skrives en UKRYPTERT PDF. Gi den bare til den som skal behandle saken (§6a),
    og sørg for at den leveres tilbake og slettes når saken er ferdig (§6b).
    """
    if handler_key is not None:
        _export_sealed(ctx, thread, out_file, handler_key, handler_name, yes)
        return
    if handler_name is not None:
        raise InboxError("--handler-name brukes bare sammen med --to.")
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        casefile.export_plain(store, thread_id, out_file, today=ctx.today)
    console = out()
    console.print(f"Saksmappen er skrevet til {out_file}.")
    console.print(
        Panel(
            Text(
                "Filen er UKRYPTERT. Alle som får tak i den, kan lese varselet. Kopier den "
                "ikke til en tilkoblet maskin, e-post eller sky. Bruk heller "
                "«case export SAK --to SAKSBEHANDLER.pub --out FIL» for en forseglet "
                "saksmappe (§6a)."
            ),
            title="ADVARSEL – UKRYPTERT SAKSMAPPE",
            title_align="left",
            border_style="bold yellow",
            style="yellow",
        )
    )


DECLARED = {"habil": "erklært habil", "ikke-aktuelt": "spørsmålet oppstår ikke"}


def _export_sealed(
    ctx: Ctx,
    thread: str,
    out_file: Path,
    handler_key: Path,
    handler_name: str | None,
    yes: bool,
) -> None:
    recipient = handover.read_handler_key(handler_key)
    handover.check_recipient(ctx.home.public_identity(), recipient, str(handler_key))
    console = out()
    with ctx.open() as (unlocked, store):
        thread_id = store.resolve_thread(thread)
        # §6d: only a handler with a declaration on record, and never a biased one.
        declared, name = handover.declared_handler(store, thread_id, recipient, handler_name)
        console.print(
            Panel(
                Text.assemble(
                    (recipient.fingerprint, "bold"),
                    f"\nSaksbehandler: {clean(name)}",
                    f"\nHabilitet (§6d): {DECLARED[declared.kind]} {declared.day}",
                    "\nSammenlign fingeravtrykket tegn for tegn med det saksbehandleren leser "
                    "opp på telefon. Bare eieren av denne nøkkelen kan åpne saksmappen.",
                ),
                title="Saksbehandlerens fingeravtrykk",
                title_align="left",
            )
        )
        if not yes and not confirm("Er fingeravtrykket riktig?"):
            raise InboxError("Avbrutt. Ingen saksmappe er skrevet.")
        result = handover.forward_case(
            store,
            unlocked.identity,
            thread_id,
            recipient,
            out_file,
            handler_name=name,
            today=ctx.today,
        )
    console.print(
        f"Forseglet saksmappe for sak {thread_id[:8]} er skrevet til {result.path} "
        f"({result.files} filer, {result.size} byte). Bare {clean(result.recipient)} kan "
        "åpne den. Videresendingen er ført i sakens logg."
    )


# -- kontradiksjon (§6c, §9.2, §10.2) --------------------------------------------------------


@case_group.command("accused-told")
@THREAD
@click.option(
    "--day", type=DAY, help="Dagen den anklagede ble orientert (ÅÅÅÅ-MM-DD). Standard: i dag."
)
@pass_ctx
def case_accused_told(ctx: Ctx, thread: str, day: date | None) -> None:
    """Før når den anklagede ble orientert om hva varselet gjelder (§9.2)."""
    when = day or ctx.today
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        innsyn.record_told(store, thread_id, when, today=ctx.today)
    out().print(f"Ført for sak {thread_id[:8]}: den anklagede orientert {when} (§9.2).")


@case_group.command("access")
@THREAD
@click.option("--reply-by", type=DAY, required=True, help="Frist for uttale (ÅÅÅÅ-MM-DD), §10.2.")
@click.option("--day", type=DAY, help="Dagen innsyn ble gitt (ÅÅÅÅ-MM-DD). Standard: i dag.")
@pass_ctx
def case_access(ctx: Ctx, thread: str, reply_by: date, day: date | None) -> None:
    """Før at den anklagede er gitt innsyn og frist for uttale (§10.2).

    Fristen vises blant fristene i «varsel-inbox list». Lag selve innsynsutdraget med
    «case innsyn».
    """
    when = day or ctx.today
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        innsyn.record_access(store, thread_id, when, reply_by, today=ctx.today)
    out().print(
        f"Ført for sak {thread_id[:8]}: innsyn gitt {when}, frist for uttale "
        f"{reply_by} (§10.2)."
    )


@case_group.command("mark")
@THREAD
@click.option("--name", "names", multiple=True, metavar="NAVN", help="Et navn som skal skjules.")
@click.option("--place", "places", multiple=True, metavar="STED", help="Et sted som skal skjules.")
@click.option(
    "--date",
    "dates",
    multiple=True,
    metavar="DATO",
    help="En dato (slik den står) som skal skjules.",
)
@click.option(
    "--attachment",
    "attachments",
    multiple=True,
    metavar="FILNAVN",
    help="Et vedlegg som ikke skal med i innsynet.",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    metavar="SPØRSMÅL",
    help="Et helt svar i varselet som ikke skal med (f.eks. when, where_detail).",
)
@pass_ctx
def case_mark(
    ctx: Ctx,
    thread: str,
    names: tuple[str, ...],
    places: tuple[str, ...],
    dates: tuple[str, ...],
    attachments: tuple[str, ...],
    fields: tuple[str, ...],
) -> None:
    """Merk opplysninger som identifiserende; de holdes utenfor innsynsutdraget (§6a, §10.2).

    Navn, steder og datoer erstattes med «[skjult]» der de forekommer (uansett store/små
    bokstaver og mellomrom). Merkede vedlegg og svar tas ikke med. Merkingene lagres
    kryptert med saken; flere kan legges til senere.
    """
    marks = {
        "names": list(names),
        "places": list(places),
        "dates": list(dates),
        "attachments": list(attachments),
        "fields": list(fields),
    }
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        case = innsyn.mark(store, thread_id, {k: v for k, v in marks.items() if v}, today=ctx.today)
    counts = ", ".join(f"{len(v)} {innsyn.MARK_KINDS[k]}" for k, v in case.meta.marks.items() if v)
    out().print(f"Merket som identifiserende i sak {thread_id[:8]}: {counts}.")


@case_group.command("innsyn")
@THREAD
@click.option(
    "--to", "accused", required=True, metavar="NAVN", help="Hvem utdraget gis til (den anklagede)."
)
@out_option("PDF-filen som skal lages (overskrives aldri).")
@pass_ctx
def case_innsyn(ctx: Ctx, thread: str, accused: str, out_file: Path) -> None:
    """Lag innsynsutdraget for den anklagede som PDF (§10.2).

    Utdraget har varselets svar, varslerens senere forklaringer og referatene (§9.5), men
    aldri varslerens identitet eller kontaktønsker, interne notater eller svar. Det som er
    merket identifiserende («case mark»), er skjult eller utelatt. Sakens logg viser hva
    som ble gitt til hvem og når. Krever at innsyn og frist er ført («case access»).
    """
    if not accused.strip():
        raise InboxError("Oppgi hvem utdraget gis til (--to).")
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        innsyn.write_extract(store, thread_id, accused, out_file, today=ctx.today)
    out().print(
        f"Innsynsutdraget er skrevet til {out_file}. Les det gjennom før det gis videre: bare "
        "det som er merket, er skjult. Utleveringen er ført i sakens logg."
    )


# -- decision, suspension and reactions (§10.4, §13, §14) --------------------------------------


@case_group.command("decide")
@THREAD
@click.option(
    "--facts", required=True, metavar="TEKST", help="Det mest sannsynlige faktum (§10.4)."
)
@click.option("--reasons", required=True, metavar="TEKST", help="Hvorfor.")
@click.option(
    "--outcome",
    required=True,
    type=click.Choice(list(decision.OUTCOMES)),
    help="Om trakassering er lagt til grunn.",
)
@decided_by("Hvem som avgjorde, f.eks. «Partisekretæren» eller «Fylkesstyret i X» (§13.1).")
@click.option(
    "--county-consulted", is_flag=True, help="Fylkespartiet er rådført (§8.2; påkrevd etter §10.3)."
)
@click.option("--committee-consulted", is_flag=True, help="Varslingsutvalget er rådført (§12).")
@click.option(
    "--tell",
    metavar="TEKST",
    help="Det varsleren får vite om at saken er avgjort, med deres ord (aldri saksdetaljer).",
)
@pass_ctx
def case_decide(ctx: Ctx, /, thread: str, **decided: Any) -> None:
    """Før avgjørelsen og flytt saken til «avgjort» (§10.4).

    Bare fra «kontradiksjon» (§10.2 først). Håndteres saken utenfor partikontoret, skal
    den avgjøres i samråd med fylkespartiet (§10.3).
    """
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        decision.decide(store, thread_id, today=ctx.today, **decided)
    out().print(
        f"Avgjørelsen er ført for sak {thread_id[:8]} ({decision.OUTCOMES[decided['outcome']]})."
        + (" Varsleren får beskjeden deres med neste «export-outbound»." if decided["tell"] else "")
    )


@case_group.command("reaction")
@THREAD
@click.option("--type", "kind", required=True, type=click.Choice(list(decision.REACTION_TYPES)))
@click.option("--what", required=True, metavar="TEKST", help="Hva som er besluttet.")
@click.option("--from", "from_day", required=True, type=DAY, help="Fra dato (ÅÅÅÅ-MM-DD).")
@click.option("--until", "until_day", type=DAY, help="Til dato (ÅÅÅÅ-MM-DD), om fastsatt.")
@click.option("--review", "review_day", required=True, type=DAY, help="Revurderes (ÅÅÅÅ-MM-DD).")
@decided_by("Hvem som besluttet (§13.1: partisekretæren for suspensjon fra verv).")
@click.option(
    "--told",
    required=True,
    metavar="HVEM",
    help="Hvem som er informert om beslutningen, for å håndheve den (§6a).",
)
@pass_ctx
def case_reaction(ctx: Ctx, /, thread: str, **reaction: Any) -> None:
    """Før suspensjon (§13) eller reaksjon (§14), med revurderingsdato.

    Suspensjon kan besluttes mens saken behandles (§13); reaksjoner fastsettes når
    undersøkelsen avsluttes (§14), og flytter en «avgjort» sak til «reaksjon».
    Revurderingsdatoene vises blant fristene i «varsel-inbox list».
    """
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread)
        decision.add_reaction(store, thread_id, today=ctx.today, **reaction)
    out().print(
        f"{decision.REACTION_TYPES[reaction['kind']]} er ført for sak {thread_id[:8]}; "
        f"revurderes {reaction['review_day']}."
    )


@case_group.command("close-out")
@THREAD
@click.option("--yes", "-y", is_flag=True, help="Ikke spør om bekreftelse.")
@pass_ctx
def case_close_out(ctx: Ctx, thread: str, yes: bool) -> None:
    """Avslutt og slett: overlever saken og slett innholdet fra innboksen (§6b).

    Bare for saker i tilstanden «avsluttet» eller «overlevert». Saken settes til
    «overlevert», og alt innhold slettes for godt: varselet, meldingene, vedleggene, svarene,
    referatene og loggen. Igjen står bare saks-ID, mottatt-dato, slettedato og tilstand.
    Importeres en gammel pakke på nytt, kommer innholdet ikke tilbake. Kan ikke angres.
    """
    console = out()
    with ctx.open() as (_, store):
        thread_id = store.resolve_thread(thread, deleted_ok=True)
        handover.check_closable(store, thread_id)
        console.print(
            Panel(
                Text(
                    f"Sak {thread_id} settes til «overlevert», og alt innhold slettes fra "
                    "innboksen: varselet, meldingene, vedleggene, svarene, referatene og "
                    "loggen. Dette kan ikke angres.\n\nHar dere levert ut saksmappen, skal "
                    "utskrifter og kopier hos saksbehandleren være levert tilbake og slettet "
                    "først (§6b)."
                ),
                title="Avslutt og slett (§6b)",
                title_align="left",
                border_style="bold red",
            )
        )
        if not yes and not confirm("Slette innholdet i saken for godt?"):
            raise InboxError("Avbrutt. Ingenting er slettet.")
        stone = handover.close_out(store, thread_id, today=ctx.today)
    console.print(
        f"Sak {thread_id[:8]} er overlevert og slettet {stone.closed_day}. Bare saks-ID, "
        f"mottatt-dato ({stone.received_day}) og tilstand er igjen. Statusen varsleren ser, "
        "er «Avsluttet» (sendes med neste «export-outbound»)."
    )


@click.command("intake")
@click.option(
    "--received-by", required=True, metavar="NAVN", help="Hvem som tok imot henvendelsen."
)
@click.option(
    "--how",
    "channel",
    required=True,
    type=click.Choice(list(intake.CHANNELS)),
    help="Hvordan den kom: telefon, samtale, epost, leder (§7.2) eller varslingsutvalget (§7.3).",
)
@click.option("--day", type=DAY, help="Dagen partikontoret fikk den (ÅÅÅÅ-MM-DD). Standard: i dag.")
@click.option(
    "--source-day",
    type=DAY,
    help="Dagen lederen eller varslingsutvalget fikk den (§7.2, §7.3), om kjent.",
)
@click.option(
    "--answer",
    "pairs",
    multiple=True,
    metavar="SPØRSMÅL=SVAR",
    help='Svar som i skjemaet på portalen, f.eks. what_happened="...", kind=harassment, '
    "involved_roles=tillitsvalgt,partimedlem. Kan gjentas; what_happened må være med.",
)
@click.option("--minutes", metavar="TEKST", help="Referatet (§9.5). Uten denne åpnes $EDITOR.")
@LEVEL
@click.option(
    "--receipt",
    "with_receipt",
    is_flag=True,
    help="Gi varsleren kvitteringsord til en tråd på portalen, for å følge opp anonymt.",
)
@pass_ctx
def intake_command(
    ctx: Ctx,
    received_by: str,
    channel: str,
    day: date | None,
    source_day: date | None,
    pairs: tuple[str, ...],
    minutes: str | None,
    level: str | None,
    with_receipt: bool,
) -> None:
    """Før et varsel som ikke kom via portalen: muntlig, på telefon, e-post, fra en leder
    (§7.2) eller fra varslingsutvalget (§7.3).

    Varselet får de samme spørsmålene som skjemaet på portalen og blir en sak med en gang
    (tilstand «mottatt»): hvem som tok imot, hvordan og når føres i loggen, og referatet
    (§9.5) som første referat. Saken behandles, videresendes og telles som alle andre.
    Varsleren har ingen tråd på portalen: hold vedkommende orientert slik kontakten ble
    tatt, og før det med «case note SAK --kind informert» (§9.4). Vil varsleren følge opp
    anonymt, gir --receipt (eller senere «case receipt SAK») kvitteringsord til en tråd på
    portalen.
    """
    answers = intake.parse_answers(pairs)
    when = day or ctx.today
    if with_receipt:
        receipts.portal_parameters(ctx.home)  # before anything is recorded
    with ctx.open() as (_, store):
        text = minutes
        if text is None:
            text = edit_text(ctx.home.path, "Referat fra henvendelsen (§9.5).")
        found = intake.open_intake(
            store,
            answers=answers,
            received_by=received_by,
            channel=channel,
            day=when,
            minutes=text,
            source_day=source_day,
            level=level,
            today=ctx.today,
        )
        issued = (
            receipts.issue_receipt(ctx.home, store, found.thread, today=ctx.today)
            if with_receipt
            else None
        )
    console = out()
    console.print(
        f"Sak {found.thread[:8]} er opprettet ({found.thread}) og til behandling på nivå "
        f"{cases.LEVELS[found.case.meta.level]}. Referatet er ført i loggen."
    )
    for line in found.advice:
        console.print(Text(f"• {line}", style="yellow"))
    if issued is not None:
        show_receipt(issued)


@click.command("stats", cls=click.Command)
@file_option("--csv", "csv_file", "Skriv tallene også som CSV (overskrives aldri).")
@file_option("--pdf", "pdf_file", "Skriv tallene også som PDF (overskrives aldri).")
@pass_ctx
def stats_command(ctx: Ctx, csv_file: Path | None, pdf_file: Path | None) -> None:
    """Anonym statistikk for likebehandling (§1): bare antall, aldri innhold.

    Varsler per kvartal, hva slags forhold, nivå (§8.2), bekreftelse og tilbakemelding mot
    fristene, utfall (§10.4) og suspensjoner og reaksjoner (§13, §14). Antall fra 1 til 4
    vises som «<5», så ingen enkeltperson kan pekes ut.
    """
    with ctx.open() as (_, store):
        tables = stats.collect(store, today=ctx.today)
    for path in (csv_file, pdf_file):
        if path is not None and path.exists():
            raise InboxError(f"{path} finnes allerede; velg et annet filnavn.")
    click.echo(stats.to_text(tables))
    if csv_file is not None:
        casefile.write_casefile(stats.to_csv(tables).encode("utf-8"), csv_file)
        click.echo(f"CSV er skrevet til {csv_file}.")
    if pdf_file is not None:
        casefile.write_casefile(stats.to_pdf(tables, today=ctx.today), pdf_file)
        click.echo(f"PDF er skrevet til {pdf_file}.")


# Declared with its type so inbox.cli can register it despite the import cycle.
GROUP: click.Group = case_group
STATS: click.Command = stats_command
INTAKE: click.Command = intake_command
