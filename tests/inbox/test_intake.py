"""Reports that did not come through the portal (§5, §7.1-§7.3, §9.5): an oral report
becomes a case with minutes, is handled and reaches a handler like any other."""

import json
import re
from datetime import date, timedelta
from pathlib import Path

from crypto import bundle as bundles
from crypto.envelope import open_envelope
from crypto.keys import SecretIdentity
from crypto.payload import OwnCopy, decode_payload
from crypto.receipt import derive_receipt_keys, open_login_key

from .conftest import CANARY, Office, Portal, Reporter, answers, day
from .test_case import pdftotext, write
from .test_handover import declare, open_as_handler
from .test_handover import handler as handler

MINUTES = f"Ringte kl. 10. Forteller om hendelsen på sommersamlingen. {CANARY}"


def intake(office: Office, *extra: str) -> str:
    result = office.ok(
        "intake", "--received-by", "Partisekretær Hansen", "--how", "leder",
        "--day", (date.today() - timedelta(days=2)).isoformat(),
        "--source-day", (date.today() - timedelta(days=9)).isoformat(),
        "--answer", f"what_happened=Han la armen rundt meg og ville ikke slutte. {CANARY}",
        "--answer", "kind=sexual_harassment", "--answer", "where=overnight_event",
        "--answer", "involved_roles=tillitsvalgt,auf_medlem", "--answer", "central_office=no",
        "--minutes", MINUTES, *extra,
    )  # fmt: skip
    assert "Referatet er ført" in result.output
    assert "kjøreregel 11" in result.output  # the same advice as for a web report
    (row,) = [r for r in json.loads(office.ok("list", "--json").output) if r["id"][0] == "m"]
    return str(row["id"])


def test_an_oral_report_becomes_a_case_with_minutes_and_reaches_a_handler(
    office: Office,
    handler: Office,
    portal: Portal,
    tmp_path: Path,
) -> None:
    # A web report too, so the portal pin exists and an outbound bundle can be written.
    web = portal.report(Reporter(), answers())
    office.ok("import", write(tmp_path, portal.bundle()))
    thread = intake(office)

    listed = {r["id"]: r for r in json.loads(office.ok("list", "--json").output)}
    assert listed[thread]["received_day"] == (date.today() - timedelta(days=2)).isoformat()
    assert listed[thread]["case_state"] == "mottatt"
    shown = json.loads(office.ok("show", thread, "--json").output)
    report = shown["entries"][0]
    assert report["answers"]["kind"] == "sexual_harassment"
    assert report["answers"]["involved_roles"] == ["tillitsvalgt", "auf_medlem"]
    log = json.loads(office.ok("case", "show", thread, "--json").output)["log"]
    assert log[1]["kind"] == "mottatt-utenfor"
    assert "Partisekretær Hansen" in log[1]["text"] and "(§7.2)" in log[1]["text"]
    assert "7 dager etter" in log[1]["text"]
    assert log[2] == {"day": date.today().isoformat(), "kind": "referat", "text": MINUTES}

    # Handled like any other case; nothing for it goes to the portal.
    office.ok("case", "state", thread, "bekreftet")
    refused = office.run("reply", thread, "-m", "Hei")
    assert refused.exit_code == 1 and "ingen tråd" in refused.output
    told = office.run("case", "state", thread, "anklagedes-versjon", "--tell", "Hei")
    assert told.exit_code == 1 and "ingen tråd" in told.output
    assert json.loads(office.ok("case", "show", thread, "--json").output)["state"] == "bekreftet"
    feedback = {d["what"]: d for d in listed[thread]["deadlines"]}["tilbakemelding"]
    assert not feedback["done"]
    office.ok("case", "note", thread, "--kind", "informert", "-t", "Ringt tilbake, orientert.")
    row = {r["id"]: r for r in json.loads(office.ok("list", "--json").output)}[thread]
    assert {d["what"]: d for d in row["deadlines"]}["tilbakemelding"]["done"]
    assert row["status"] == "acknowledged"
    path = tmp_path / "ut.vsb"
    office.ok("export-outbound", str(path))
    out = bundles.read_outbound(path.read_bytes(), office.public.verify_key)
    assert {s.thread for s in out.statuses} <= {web} and not out.replies

    # To a handler (§6a, §6d), with the minutes in the case file.
    declare(office, handler, thread)
    target = tmp_path / "muntlig.vscase"
    office.ok("case", "export", thread, "--to", str(handler.home.office_pub),
              "--out", str(target), "--yes")  # fmt: skip
    opened = open_as_handler(handler, target, tmp_path / "saken")
    assert opened.exit_code == 0, opened.output
    text = " ".join(pdftotext(tmp_path / "saken" / f"saksmappe-{thread[:8]}.pdf").split())
    assert "Ringte kl. 10. Forteller om hendelsen på sommersamlingen." in text
    assert "Mottatt fra en leder som fikk henvendelsen (§7.2) av Partisekretær Hansen" in text
    assert "Han la armen rundt meg og ville ikke slutte." in text

    # Counted like any other report.
    stats = office.ok("stats").output
    assert "Seksuell trakassering" in stats


def test_a_bad_intake_is_refused_and_stores_nothing(office: Office) -> None:
    base = ("intake", "--received-by", "Kari", "--how", "telefon", "--minutes", "Referat.")
    for extra, message in (
        (("--answer", "kind=harassment"), "what_happened"),
        (("--answer", "what_happened=x", "--answer", "kind=slag"), "passer ikke"),
        (("--answer", "hvem=x"), "SPØRSMÅL=SVAR"),
        (("--answer", "what_happened=x", "--source-day", "2020-01-01"), "--source-day"),
    ):
        result = office.run(*base, *extra)
        assert result.exit_code == 1 and message in result.output, result.output
        assert "Traceback" not in result.output
    empty = office.run("intake", "--received-by", "Kari", "--how", "telefon",
                       "--answer", "what_happened=x", "--minutes", "  ")  # fmt: skip
    assert empty.exit_code == 1 and "§9.5" in empty.output
    assert json.loads(office.ok("list", "--json").output) == []


def test_a_receipt_is_made_exactly_as_the_portal_makes_one(office: Office, tmp_path: Path) -> None:
    """The login key in the outbound bundle opens with the portal's key to the login key
    the portal derives from the receipt words, and the own copy opens with the reporter
    key the words give: the reporter logs in and reads as a web reporter does."""
    portal = SecretIdentity.generate()
    salt = bytes(range(16))
    first = tmp_path / "inn.vsb"
    first.write_bytes(
        bundles.write_inbound(
            bundles.InboundBundle(
                day(), 0, (), (), portal=bundles.PortalParameters(
                    portal.public.encryption_key, salt
                )
            ),
            portal,
        )
    )
    office.ok("import", str(first))
    made = office.ok(
        "intake", "--received-by", "Kari", "--how", "epost",
        "--answer", "what_happened=Han sendte meldinger om natta.", "--minutes", "E-post.",
        "--receipt",
    ).output
    words = re.findall(r"^\W*([a-z]+(?: [a-z]+){3})\W*$", made, flags=re.M)[:2]
    typed = " ".join(words)
    out = tmp_path / "ut.vsb"
    office.ok("export-outbound", str(out))
    (opening,) = bundles.read_outbound(out.read_bytes(), office.public.verify_key).open_threads
    keys = derive_receipt_keys(typed, salt)
    assert open_login_key(
        opening.sealed_login_key, portal.public.encryption_key, portal.encryption_secret
    ) == keys.login_key
    assert opening.reporter_public_key == keys.reporter_public_key
    copy = decode_payload(
        open_envelope(opening.own_copy, keys.reporter_public_key, keys.reporter_secret_key)
    )
    assert isinstance(copy, OwnCopy) and "Han sendte meldinger om natta." in copy.text
    assert "E-post." not in copy.text  # the minutes stay in the inbox
    assert all(typed.encode() not in p.read_bytes() for p in office.files())


def handle_to_avsluttet(office: Office, thread: str, *tell: str) -> None:
    """Kontradiksjon (§9.2, §10.2), a decision (§10.4) and a reaction (§14), then closed."""
    for state in ("bekreftet", "anklagedes-versjon"):
        office.ok("case", "state", thread, state)
    office.ok("case", "accused-told", thread)
    for state in ("omforent-losning", "undersokelse", "kontradiksjon"):
        office.ok("case", "state", thread, state)
    reply_by = (date.today() + timedelta(days=14)).isoformat()
    office.ok("case", "access", thread, "--reply-by", reply_by)
    office.ok("case", "decide", thread, "--facts", "Berøringen skjedde.", "--reasons",
              "Samstemte forklaringer.", "--outcome", "trakassering", "--decided-by",
              "Partisekretæren", *tell)  # fmt: skip
    office.ok("case", "reaction", thread, "--type", "reaksjon", "--what", "Advarsel",
              "--from", day(0), "--review", (date.today() + timedelta(days=90)).isoformat(),
              "--decided-by", "Partisekretæren", "--told", "Lokallaget")  # fmt: skip
    office.ok("case", "state", thread, "avsluttet")


def tombstone_of(office: Office, thread: str) -> tuple:
    import sqlite3

    db = sqlite3.connect(office.home.database)
    try:
        return db.execute(
            "SELECT received_day, closed_day, final_state FROM closed_threads WHERE thread = ?",
            (thread,),
        ).fetchone()
    finally:
        db.close()


def mentions(out: bundles.OutboundBundle, thread: str) -> list[str]:
    """Everything in an outbound bundle addressed to ``thread``."""
    return [
        *(f"status {s.status}" for s in out.statuses if s.thread == thread),
        *("reply" for r in out.replies if r.thread == thread),
        *("open" for o in out.open_threads if o.id == thread),
    ]


def test_an_oral_report_goes_through_kontradiksjon_and_a_decision_to_close_out(
    office: Office, portal: Portal, tmp_path: Path
) -> None:
    portal.report(Reporter(), answers())
    office.ok("import", write(tmp_path, portal.bundle()))
    thread = intake(office)
    handle_to_avsluttet(office, thread)
    told = office.run("case", "close-out", thread, "--yes")
    assert told.exit_code == 0, told.output
    assert "overlevert og slettet" in told.output
    assert tombstone_of(office, thread) == (
        (date.today() - timedelta(days=2)).isoformat(), date.today().isoformat(), "overlevert"
    )
    row = {r["id"]: r for r in json.loads(office.ok("list", "--json").output)}[thread]
    assert row["deleted"] is True and row["items"] == 0 and row["deadlines"] == []
    assert all(CANARY.encode() not in p.read_bytes() for p in office.files())
    path = tmp_path / "ut.vsb"
    office.ok("export-outbound", str(path))
    out = bundles.read_outbound(path.read_bytes(), office.public.verify_key)
    assert mentions(out, thread) == []


def test_an_oral_report_with_a_receipt_is_closed_out_like_a_portal_thread(
    office: Office, portal: Portal, tmp_path: Path
) -> None:
    # The portal's key and receipt salt come with a signed inbound bundle.
    params = bundles.PortalParameters(portal.identity.public.encryption_key, bytes(range(16)))
    first_in = bundles.InboundBundle(day(), 0, (), (), portal=params)
    office.ok("import", write(tmp_path, bundles.write_inbound(first_in, portal.identity)))
    thread = intake(office, "--receipt")
    handle_to_avsluttet(office, thread)
    # The thread was never carried to the portal: closing it out now would leave the
    # reporter's receipt words opening nothing, so it waits as an unconfirmed reply does.
    early = office.run("case", "close-out", thread, "--yes")
    assert early.exit_code == 1 and "portalen" in early.output, early.output
    first = tmp_path / "ut1.vsb"
    office.ok("export-outbound", str(first))
    out = bundles.read_outbound(first.read_bytes(), office.public.verify_key)
    assert "open" in mentions(out, thread)
    (opening,) = [o for o in out.open_threads if o.id == thread]
    assert opening.status == "closed"
    still = office.run("case", "close-out", thread, "--yes")
    assert still.exit_code == 1, still.output
    office.ok("import", write(tmp_path, portal.bundle(last_outbound_sequence=1), "inn2.vsb"))
    office.ok("case", "close-out", thread, "--yes")
    assert tombstone_of(office, thread)[2] == "overlevert"
    assert all(CANARY.encode() not in p.read_bytes() for p in office.files())
    # The portal already has "closed" for the thread; nothing more goes for it.
    second = tmp_path / "ut2.vsb"
    office.ok("export-outbound", str(second))
    out = bundles.read_outbound(second.read_bytes(), office.public.verify_key)
    assert mentions(out, thread) == []


def feedback_done(office: Office, thread: str) -> bool:
    row = {r["id"]: r for r in json.loads(office.ok("list", "--json").output)}[thread]
    return bool({d["what"]: d for d in row["deadlines"]}["tilbakemelding"]["done"])


def test_feedback_has_one_rule_in_the_list_the_stats_and_on_the_portal(
    office: Office, portal: Portal, tmp_path: Path
) -> None:
    """A note that the reporter was informed counts as feedback only while the portal has
    no thread for the case; once it has one (a receipt), only a reply counts, as on the
    portal's office dashboard, which sees nothing but replies."""
    params = bundles.PortalParameters(portal.identity.public.encryption_key, bytes(range(16)))
    first_in = bundles.InboundBundle(day(), 0, (), (), portal=params)
    office.ok("import", write(tmp_path, bundles.write_inbound(first_in, portal.identity)))
    oral = intake(office)
    office.ok("case", "note", oral, "--kind", "informert", "-t", "Ringt tilbake.")
    assert feedback_done(office, oral)
    stats = office.ok("stats").output.split("Tilbakemelding", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"Innen fristen\s+<5$", stats, re.M), stats
    office.ok("case", "receipt", oral)  # the thread is now (to be) on the portal
    assert not feedback_done(office, oral)
    stats = office.ok("stats").output.split("Tilbakemelding", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"Innen fristen\s+0$", stats, re.M), stats
    office.ok("case", "state", oral, "bekreftet", "--tell", "Vi har fått varselet ditt.")
    assert feedback_done(office, oral)
    stats = office.ok("stats").output.split("Tilbakemelding", 1)[1].split("\n\n", 1)[0]
    assert re.search(r"Innen fristen\s+<5$", stats, re.M), stats
