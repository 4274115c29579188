"""Handling: case states and transitions from the guidelines, the log, the PDF case file."""

import json
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from inbox.case import STATES, TRANSITIONS
from inbox.casefile import build_casefile

from .conftest import CANARY, Office, Portal, Reporter, answers, day


def write(tmp_path: Path, data: bytes, name: str = "inn.vsb") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


@pytest.fixture
def thread(office: Office, portal: Portal, reporter: Reporter, tmp_path: Path) -> str:
    tid = portal.report(reporter, answers(), received=day(12))
    office.ok("import", write(tmp_path, portal.bundle()))
    return tid


def case(office: Office, thread: str) -> dict:
    return json.loads(office.ok("case", "show", thread, "--json").output)


def test_full_lifecycle_through_investigation(office: Office, thread: str) -> None:
    result = office.ok("case", "open", thread, "--level", "fylkesparti", "--handler", "Kari N.")
    assert "Fylkespartiet" in result.output
    assert "§9.1" in result.output  # the reporter is a witness
    assert "kjøreregel 11" in result.output  # overnight gathering
    office.ok("case", "state", thread, "bekreftet")
    office.ok("case", "note", thread, "--text", "Samtale med den utsatte.", "--kind", "referat")
    office.ok("case", "state", thread, "anklagedes-versjon")
    office.ok("case", "note", thread, "-t", "Begge parter orientert.", "--kind", "informert")
    office.ok("case", "state", thread, "omforent-losning")
    office.ok("case", "state", thread, "undersokelse")
    office.ok("case", "state", thread, "kontradiksjon")
    office.ok("case", "state", thread, "avgjort")
    refused = office.run("case", "state", thread, "reaksjon")
    assert refused.exit_code == 1 and "--review-date" in refused.output
    review = (date.today() + timedelta(days=90)).isoformat()
    office.ok("case", "state", thread, "reaksjon", "--review-date", review)
    office.ok("case", "state", thread, "avsluttet")
    office.ok("case", "state", thread, "overlevert")
    c = case(office, thread)
    assert c["state"] == "overlevert"
    assert c["level"] == "fylkesparti" and c["handler"] == "Kari N."
    assert c["review_day"] == review
    kinds = [e["kind"] for e in c["log"]]
    assert kinds.count("tilstand") == 9
    assert {"referat", "informert", "opprettet"} <= set(kinds)
    assert c["log"][2]["text"] == "Samtale med den utsatte."
    assert all(e["day"] == date.today().isoformat() for e in c["log"])
    shown = office.ok("case", "show", thread).output
    assert "Referat fra samtale (§9.5)" in shown and "12 dager siden mottatt" in shown
    listing = json.loads(office.ok("list", "--json").output)
    assert listing[0]["case_state"] == "overlevert"
    ended = office.run("case", "state", thread, "avsluttet")
    assert ended.exit_code == 1 and "sluttilstanden" in ended.output


def test_agreed_solution_closes_directly(office: Office, thread: str) -> None:
    office.ok("case", "open", thread)
    for state in ("bekreftet", "anklagedes-versjon", "omforent-losning", "avsluttet"):
        office.ok("case", "state", thread, state)
    assert case(office, thread)["state"] == "avsluttet"


@pytest.mark.parametrize(
    ("path", "forbidden"),
    [
        ((), "undersokelse"),  # investigation only after an agreed solution failed
        ((), "avsluttet"),
        (("bekreftet",), "avgjort"),
        (("bekreftet", "anklagedes-versjon"), "kontradiksjon"),
        (("bekreftet", "anklagedes-versjon", "omforent-losning"), "reaksjon"),
    ],
)
def test_forbidden_transitions_are_refused(
    office: Office, thread: str, path: tuple[str, ...], forbidden: str
) -> None:
    office.ok("case", "open", thread)
    for state in path:
        office.ok("case", "state", thread, state)
    before = case(office, thread)
    result = office.run("case", "state", thread, forbidden, "--review-date", "2099-01-01")
    assert result.exit_code == 1
    assert "kan ikke gå fra" in result.output and "Traceback" not in result.output
    assert case(office, thread) == before


def test_every_state_is_reachable_and_only_overlevert_is_final() -> None:
    reached, todo = {"mottatt"}, ["mottatt"]
    while todo:
        for nxt in TRANSITIONS[todo.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                todo.append(nxt)
    assert reached == set(STATES)
    assert [s for s, nxt in TRANSITIONS.items() if not nxt] == ["overlevert"]


def test_central_office_forces_the_party_office_citing_8_2(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(reporter, answers(central_office="yes", party_employee_involved="yes"))
    office.ok("import", write(tmp_path, portal.bundle()))
    result = office.ok("case", "open", thread, "--level", "lokallag", "--possible-crime")
    assert "§8.2" in result.output and "partikontoret" in result.output
    assert "§11" in result.output and "§1)" in result.output
    c = case(office, thread)
    assert c["level"] == "partikontoret"
    assert c["central_office"] and c["employer"] and c["possible_crime"]
    again = office.run("case", "open", thread)
    assert again.exit_code == 1 and "allerede" in again.output


def test_central_office_flag_from_the_command_line(office: Office, thread: str) -> None:
    result = office.ok("case", "open", thread, "--level", "fylkesparti", "--central-office")
    assert "§8.2" in result.output
    assert case(office, thread)["level"] == "partikontoret"


def test_case_commands_need_an_open_case(office: Office, thread: str) -> None:
    for args in (
        ("case", "show", thread),
        ("case", "state", thread, "bekreftet"),
        ("case", "note", thread, "-t", "x"),
    ):
        result = office.run(*args)
        assert result.exit_code == 1 and "case open" in result.output


def pdftotext(path: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_case_export_writes_a_readable_pdf(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    text = f"Det skjedde på hytteturet i Åsane. Øl og ærekrenkelser. {CANARY}"
    thread = portal.report(
        reporter,
        answers(text, central_office="yes"),
        [("skjerm.png", b"x", "image/png")],
        received=day(20),
    )
    portal.message(thread, reporter, "Tilleggsopplysning fra varsleren – «sitat».")
    office.ok("import", write(tmp_path, portal.bundle()))
    office.ok("reply", thread, "-m", "Takk, vi har mottatt varselet ditt.")
    office.ok("case", "open", thread, "--possible-crime")
    office.ok("case", "state", thread, "bekreftet")
    office.ok("case", "note", thread, "-t", "Referat: samtale med varsleren 🙂 om hendelsen.")
    pdf = tmp_path / "saksmappe.pdf"
    office.ok("case", "export", thread, "--out", str(pdf))
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert pdf.stat().st_mode & 0o777 == 0o600
    plain = " ".join(pdftotext(pdf).split())
    assert "Det skjedde på hytteturet i Åsane. Øl og ærekrenkelser." in plain
    assert "partikontoret håndterer alltid (§8.2)" in plain
    assert "Tilleggsopplysning fra varsleren – «sitat»." in plain
    assert "Takk, vi har mottatt varselet ditt." in plain
    assert "Referat: samtale med varsleren" in plain
    assert "20 dager siden mottatt" in plain
    assert thread in plain
    assert "eksport" in [e["kind"] for e in case(office, thread)["log"]]
    refused = office.run("case", "export", thread, "--out", str(pdf))
    assert refused.exit_code == 1 and "finnes allerede" in refused.output


def test_case_file_without_unicode_font_keeps_norwegian_letters(
    office: Office, thread: str, tmp_path: Path
) -> None:
    from inbox.case import load_case
    from inbox.home import unlock
    from inbox.store import Store
    from inbox.threads import load_thread

    from .conftest import PASSPHRASE

    office.ok("case", "open", thread)
    office.ok("case", "note", thread, "-t", "Blåbærsyltetøy – “sitat” § 9.5 ✓")
    unlocked = unlock(office.home, PASSPHRASE)
    with Store.open(office.home, unlocked.store_key) as store:
        data = build_casefile(
            load_thread(store, thread), load_case(store, thread), font=False, today=date.today()
        )
    pdf = tmp_path / "helvetica.pdf"
    pdf.write_bytes(data)
    plain = pdftotext(pdf)
    assert 'Blåbærsyltetøy - "sitat" § 9.5 ?' in plain


# -- one state machine: the reporter's status follows the case state ------------------------


def test_reporter_status_follows_the_case_state_and_cannot_disagree(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    from crypto import bundle as bundles
    from crypto.payload import Reply, decode_payload
    from inbox.case import REPORTER_STATUS

    thread = portal.report(reporter, answers(), received=day(100))
    office.ok("import", write(tmp_path, portal.bundle()))
    office.ok("status", thread, "bekreftet")  # acknowledged before the case was opened
    office.ok("case", "open", thread)
    assert case(office, thread)["state"] == "bekreftet"  # the case starts where the reporter is

    def listed() -> dict:
        (row,) = json.loads(office.ok("list", "--json").output)
        return row

    feedback = next(d for d in listed()["deadlines"] if d["what"] == "tilbakemelding")
    assert feedback["overdue"] and not feedback["done"]

    told = "Vi har snakket med den det gjelder, og søker en løsning. – Partikontoret"
    for state in ("anklagedes-versjon", "omforent-losning", "avsluttet"):
        extra = ("--tell", told) if state == "omforent-losning" else ()
        result = office.ok("case", "state", thread, state, *extra)
        assert "Varsleren ser statusen" in result.output
        shown = json.loads(office.ok("show", thread, "--json").output)
        assert shown["status"] == REPORTER_STATUS[state] == listed()["status"]
        refused = office.run("status", thread, "mottatt")
        assert refused.exit_code == 1 and "følger sakens tilstand" in refused.output
        assert json.loads(office.ok("show", thread, "--json").output)["status"] == shown["status"]

    # The office's own words went as a reply; it counts as feedback (one rule, as on the
    # portal dashboard), and the case log says what the reporter was told.
    feedback = next(d for d in listed()["deadlines"] if d["what"] == "tilbakemelding")
    assert feedback["done"] and not feedback["overdue"]
    assert [e["text"] for e in case(office, thread)["log"] if e["kind"] == "varsler-informert"] == [
        told
    ]
    path = tmp_path / "ut.vsb"
    office.ok("export-outbound", str(path))
    out = bundles.read_outbound(path.read_bytes(), office.public.verify_key)
    assert [s.status for s in out.statuses] == ["acknowledged", "in_progress", "closed"]
    (sent,) = out.replies
    assert decode_payload(reporter.open(sent.envelope)) == Reply(told)
    empty = office.run("case", "state", thread, "overlevert", "--tell", "  ")
    assert empty.exit_code == 1 and case(office, thread)["state"] == "avsluttet"


def test_every_state_has_a_reporter_status() -> None:
    from crypto.payload import THREAD_STATUSES
    from inbox.case import REPORTER_STATUS

    assert set(REPORTER_STATUS) == set(STATES)
    assert set(REPORTER_STATUS.values()) == set(THREAD_STATUSES)


# -- Bergen rule 11 and where it happened (§8.2) ------------------------------------------


@pytest.mark.parametrize(
    ("extra", "flagged", "expected", "absent"),
    [
        (
            {"county_party": "Vestland", "local_branch": "Bergen Arbeiderparti, sommersamling",
             "contact_persons_announced": "no", "contact_persons_contacted": "yes"},
            True,
            ["kjøreregel 11 gjelder", "IKKE ble kunngjort", "Kontaktpersonene ble kontaktet",
             "forslag til nivå er lokallaget", "§8.2"],
            [],
        ),
        (
            {"county_party": "Trøndelag", "local_branch": "Trondheim"},
            False,
            ["forslag til nivå er lokallaget"],
            ["kjøreregel 11"],
        ),
        (
            {"county_party": "Vestland", "where": "meeting"},
            False,
            ["forslag til nivå er fylkespartiet"],
            ["kjøreregel 11"],
        ),
        ({}, False, ["Var samlingen i regi av Arbeiderpartiet i Bergen"], ["forslag til nivå"]),
    ],
)  # fmt: skip
def test_rule_11_flag_only_where_it_applies_and_a_suggested_level(
    office: Office,
    portal: Portal,
    reporter: Reporter,
    tmp_path: Path,
    extra: dict,
    flagged: bool,
    expected: list[str],
    absent: list[str],
) -> None:
    thread = portal.report(reporter, answers(**extra))
    office.ok("import", write(tmp_path, portal.bundle()))
    shown = " ".join(office.ok("show", thread).output.split())
    for key in extra:
        if key != "where":
            assert str(extra[key]) in shown or key.startswith("contact_persons")
    advice = " ".join(office.ok("case", "open", thread).output.split())
    for line in expected:
        assert line in advice, line
    for line in absent:
        assert line not in advice, line
    c = case(office, thread)
    assert c["level"] == "partikontoret"  # a suggestion only: the office decides (§8.2)
    assert ("kjøreregel 11" in " ".join(office.ok("case", "show", thread).output.split())) is (
        flagged
    )
    pdf = tmp_path / "mappe.pdf"
    office.ok("case", "export", thread, "--out", str(pdf))
    text = " ".join(pdftotext(pdf).split())
    assert ("Arbeiderpartiet i Bergen – kontaktpersoner skal være kunngjort" in text) is flagged
    if flagged:
        assert "Ble kontaktpersoner kunngjort ved møtestart? (Bergen, kjøreregel 11)" in text
        assert "Nei – kjøreregel 11 (Bergen) sier at de skal kunngjøres" in text
