"""Kontradiksjon (§9.2, §10.2), the innsyn extract, the decision (§10.4) and suspension and
reactions (§13, §14), all through the ``varsel-inbox`` command line."""

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from .conftest import Office, Portal, Reporter, answers, day
from .test_case import pdftotext, write

REPORT = (
    "Kari   Nordmann ble tafset på av lederen på Solstrand hotell natt til 14. mars. "
    "Lederen sa at ingen ville tro på henne."
)
MINUTES = "Samtale med KARI NORDMANN: hun bekrefter forklaringen om Solstrand."
MESSAGE = "Tillegg: Per Hansen så det som skjedde i baren."
IDENTITY = "Kari Nordmann, telefon 99 88 77 66"
CONTACT = "ring meg på 99 88 77 66 etter klokka fire"


def in_days(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


@pytest.fixture
def thread(office: Office, portal: Portal, reporter: Reporter, tmp_path: Path) -> str:
    tid = portal.report(
        reporter,
        answers(REPORT, when="i vinterferien", identity=IDENTITY, contact_how=CONTACT),
        [("kari-skjermbilde.png", b"png", "image/png"), ("program.pdf", b"pdf", "application/pdf")],
        received=day(40),
    )
    portal.message(tid, reporter, MESSAGE)
    office.ok("import", write(tmp_path, portal.bundle()))
    office.ok("case", "open", tid, "--level", "fylkesparti")
    for state in ("bekreftet", "anklagedes-versjon"):
        office.ok("case", "state", tid, state)
    office.ok("case", "note", tid, "-t", MINUTES)
    office.ok("case", "note", tid, "--kind", "notat", "-t", "Internt: Kari vil ikke møte ham.")
    return tid


def case(office: Office, thread: str) -> dict:
    return json.loads(office.ok("case", "show", thread, "--json").output)


def deadlines(office: Office) -> dict[str, list[dict]]:
    (row,) = json.loads(office.ok("list", "--json").output)
    found: dict[str, list[dict]] = {}
    for d in row["deadlines"]:
        found.setdefault(d["what"], []).append(d)
    return found


def to_kontradiksjon(office: Office, thread: str) -> None:
    for state in ("omforent-losning", "undersokelse", "kontradiksjon"):
        office.ok("case", "state", thread, state)


def test_innsyn_extract_leaves_out_everything_marked_identifying(
    office: Office, thread: str, tmp_path: Path
) -> None:
    refused = office.run("case", "access", thread, "--reply-by", in_days(14))
    assert refused.exit_code == 1 and "kontradiksjon" in refused.output, refused.output
    office.ok("case", "accused-told", thread)  # §9.2, before access
    to_kontradiksjon(office, thread)
    past = office.run("case", "access", thread, "--reply-by", day(1))
    assert past.exit_code == 1 and "etter dagen" in past.output
    office.ok("case", "access", thread, "--reply-by", in_days(14))
    assert deadlines(office)["uttalefrist"][0]["due"] == in_days(14)
    assert "uttalefrist innen 14 d" in office.ok("list").output

    bad = office.run("case", "mark", thread, "--field", "hemmelig")
    assert bad.exit_code == 1 and "Ukjent svarfelt" in bad.output
    office.ok(
        "case", "mark", thread, "--name", "Kari Nordmann", "--name", "Per Hansen",
        "--place", "Solstrand", "--date", "14. mars", "--attachment", "kari-skjermbilde.png",
        "--field", "when",
    )  # fmt: skip
    pdf = tmp_path / "innsyn.pdf"
    result = office.ok("case", "innsyn", thread, "--to", "Ola Leder", "--out", str(pdf))
    assert "logg" in result.output
    text = " ".join(pdftotext(pdf).split())
    folded = text.casefold()
    for marked in ("Kari Nordmann", "Per Hansen", "Solstrand", "14. mars",
                   "kari-skjermbilde", "vinterferien"):  # fmt: skip
        assert marked.casefold() not in folded, marked
    # Never disclosed: identity, contact wishes, internal notes, office replies.
    for secret in ("99 88 77 66", "klokka fire", "Internt", "vil ikke møte"):
        assert secret not in text, secret
    # What the accused is entitled to see (§10.2) is there, with the marks blacked out.
    assert "[skjult] ble tafset på av lederen på [skjult] hotell natt til [skjult]" in text
    assert "Samtale med [skjult]: hun bekrefter forklaringen om [skjult]." in text
    assert "Tillegg: [skjult] så det som skjedde i baren." in text
    assert "program.pdf" in text and in_days(14) in text and "§10.2" in text
    assert "Ola Leder" not in text

    log = case(office, thread)["log"]
    (given,) = [e for e in log if e["kind"] == "innsyn"]
    assert given["day"] == date.today().isoformat()
    assert "Ola Leder" in given["text"] and "1 referater" in given["text"]
    assert "1 forklaringer" in given["text"] and "1 vedlegg oppført" in given["text"]
    assert "2 navn" in given["text"] and "1 steder" in given["text"]
    kinds = [e["kind"] for e in log]
    assert kinds.count("kontradiksjon") == 2 and "merket" in kinds
    again = office.run("case", "innsyn", thread, "--to", "Ola Leder", "--out", str(pdf))
    assert again.exit_code == 1 and "finnes allerede" in again.output


def test_decision_and_reactions_appear_in_the_case_file_and_the_deadlines(
    office: Office, portal: Portal, reporter: Reporter, thread: str, tmp_path: Path
) -> None:
    from crypto import bundle as bundles
    from crypto.payload import Reply, decode_payload

    office.ok("case", "accused-told", thread, "--day", day(3))
    early = office.run(
        "case", "reaction", thread, "--type", "reaksjon", "--what", "Advarsel",
        "--from", day(0), "--review", in_days(90), "--decided-by", "Fylkesstyret",
        "--told", "Lokallagsleder",
    )  # fmt: skip
    assert early.exit_code == 1 and "§14" in early.output
    # §13.1: suspension from office while the case is handled.
    office.ok(
        "case", "reaction", thread, "--type", "suspensjon-verv", "--what",
        "Fratrer som lokallagsleder midlertidig", "--from", day(0), "--review", in_days(30),
        "--decided-by", "Partisekretæren", "--told", "Fylkessekretæren",
    )  # fmt: skip
    to_kontradiksjon(office, thread)
    office.ok("case", "access", thread, "--reply-by", in_days(10), "--day", day(0))
    args = ("case", "decide", thread, "--facts", "Det mest sannsynlige er at berøringen skjedde.",
            "--reasons", "Forklaringene er samstemte.", "--outcome", "trakassering",
            "--decided-by", "Fylkesstyret i Vestland", "--committee-consulted")  # fmt: skip
    refused = office.run(*args)  # handled by the county party: §10.3 asks for consultation
    assert refused.exit_code == 1 and "§10.3" in refused.output
    assert case(office, thread)["state"] == "kontradiksjon"
    told = "Saken er nå avgjort. Ta kontakt om du vil vite mer. – Partikontoret"
    office.ok(*args, "--county-consulted", "--tell", told)
    c = case(office, thread)
    assert c["state"] == "avgjort" and c["decision"]["county_consulted"] is True
    assert deadlines(office)["uttalefrist"][0]["done"] is True
    office.ok(
        "case", "reaction", thread, "--type", "reaksjon", "--what", "Skriftlig advarsel",
        "--from", day(0), "--until", in_days(365), "--review", in_days(180),
        "--decided-by", "Fylkesstyret i Vestland", "--told", "Lokallaget",
    )  # fmt: skip
    c = case(office, thread)
    assert c["state"] == "reaksjon" and c["review_day"] == in_days(30)
    assert [d["due"] for d in deadlines(office)["revurdering"]] == [in_days(30), in_days(180)]

    pdf = tmp_path / "saksmappe.pdf"
    office.ok("case", "export", thread, "--out", str(pdf))
    text = " ".join(pdftotext(pdf).split())
    for expected in ("Avgjørelse (§10.4)", "Det mest sannsynlige er at berøringen skjedde.",
                     "Forklaringene er samstemte.", "Fylkesstyret i Vestland",
                     "Fylkespartiet rådført (§8.2, §10.3) Ja", "Varslingsutvalget rådført (§12) Ja",
                     "Midlertidig fratreden av verv (§13.1)", "Fratrer som lokallagsleder",
                     "Besluttet av Partisekretæren", "Informert: Fylkessekretæren",
                     f"revurderes {in_days(180)}", "Skriftlig advarsel",
                     f"Frist for uttale (§10.2) {in_days(10)}"):  # fmt: skip
        assert expected in text, expected

    # The reporter learns that a decision is made, in the office's words only.
    path = tmp_path / "ut.vsb"
    office.ok("export-outbound", str(path))
    out = bundles.read_outbound(path.read_bytes(), office.public.verify_key)
    assert [decode_payload(reporter.open(r.envelope)) for r in out.replies] == [Reply(told)]
    assert out.statuses[-1].status == "in_progress"
