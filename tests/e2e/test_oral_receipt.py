"""Reports received outside the portal, end to end with every part real (issue 12).

An oral report becomes a case with a receipt; the next outbound bundle opens its thread on
the real portal (HTTP); the reporter logs in without JavaScript, reads what they told the
office and writes; the message comes in on the same case; the reply goes back.

The accused's time limit to reply (§10.2) reaches the portal's office dashboard through
an outbound bundle as days only, tied to no case.
"""

import json
import re
from datetime import date, timedelta
from pathlib import Path

from conftest import LiveServer
from http_client import NoJsBrowser, Page
from reporter_pages import form
from test_full_loop import (  # noqa: F401 (fixtures)
    Office,
    _db_rows,
    _files_containing,
    office,
)

from crypto.bundle import read_outbound
from crypto.receipt import normalise_receipt

MINUTES = "Ringte partikontoret og fortalte om kommentarene under landsmøtemiddagen."
WHAT = "Han kom med kommentarer om kroppen min under middagen (KANARI-muntlig-4e1d)."


def in_days(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


def intake(desk: Office, what: str = WHAT, *extra: str) -> str:
    made = desk.inbox(
        "intake", "--received-by", "Kari Partisekretær", "--how", "telefon",
        "--answer", f"what_happened={what}", "--answer", "kind=harassment",
        "--minutes", MINUTES, *extra,
    )
    (row,) = [
        r for r in json.loads(desk.inbox("list", "--json").stdout)
        if r["id"] in made.stdout
    ]
    return str(row["id"])


def to_kontradiksjon(desk: Office, thread: str) -> None:
    for state in ("bekreftet", "anklagedes-versjon"):
        desk.inbox("case", "state", thread, state)
    desk.inbox("case", "accused-told", thread)
    for state in ("omforent-losning", "undersokelse", "kontradiksjon"):
        desk.inbox("case", "state", thread, state)


def pin_portal(desk: Office, tmp_path: Path) -> None:
    """The inbox learns the portal's keys from its first inbound bundle."""
    first = tmp_path / "inn-0.bundle"
    first.write_bytes(desk.download())
    desk.inbox("import", str(first))


def export(desk: Office, tmp_path: Path, name: str) -> bytes:
    path = tmp_path / name
    desk.inbox("export-outbound", str(path))
    return path.read_bytes()


def test_reply_by_days_reach_the_dashboard_as_days_only(
    server: LiveServer, office: Office, tmp_path: Path  # noqa: F811 (fixtures)
) -> None:
    pin_portal(office, tmp_path)
    upcoming, passed, other = intake(office), intake(office), intake(office)
    for thread in (upcoming, passed):
        to_kontradiksjon(office, thread)
    office.inbox("case", "access", upcoming, "--reply-by", in_days(10))
    office.inbox("case", "access", passed, "--day", in_days(-20), "--reply-by", in_days(-3))
    listed = {
        (d["what"], d["due"])
        for row in json.loads(office.inbox("list", "--json").stdout)
        for d in row["deadlines"]
    }
    assert {("uttalefrist", in_days(10)), ("uttalefrist", in_days(-3))} <= listed

    bundle = export(office, tmp_path, "ut-1.bundle")
    carried = read_outbound(bundle, office.public.verify_key)
    assert carried.reply_by == (in_days(-3), in_days(10))
    for thread in (upcoming, passed, other):  # nothing ties a day to a case
        assert thread.encode() not in bundle
    assert WHAT.encode() not in bundle

    page = office.upload(bundle)
    assert 'id="upload-error"' not in page, page
    dashboard = office.browser.get("/kontor/").html
    assert 'id="reply-by-passed">1<' in dashboard, dashboard
    assert f'id="next-reply-by">{in_days(10)}<' in dashboard
    assert "for the accused to reply that have passed" in dashboard
    assert _db_rows(server.data_dir, "SELECT day, cases FROM reply_by_days") == [
        (in_days(-3), 1),
        (in_days(10), 1),
    ]

    # The right of reply is over for one case (a decision), and the other one closes:
    # the next bundle carries no time limits, and the dashboard shows none.
    for thread in (passed, upcoming):
        office.inbox("case", "decide", thread, "--facts", "Det skjedde.", "--reasons", "Vitner.",
                     "--outcome", "trakassering", "--decided-by", "Partisekretæren")
    second = export(office, tmp_path, "ut-2.bundle")
    assert read_outbound(second, office.public.verify_key).reply_by == ()
    office.upload(second)
    dashboard = office.browser.get("/kontor/").html
    assert 'id="reply-by-passed">0<' in dashboard and 'id="next-reply-by"' not in dashboard
    assert _db_rows(server.data_dir, "SELECT count(*) FROM reply_by_days") == [(0,)]


MESSAGE = "Det skjedde igjen på fylkesårsmøtet (KANARI-melding-77ab)."
REPLY = "Takk for at du skriver. Vi har snakket med fylkespartiet (KANARI-svar-90cc)."


def receipt_in(output: str) -> str:
    """The eight words of the panel that ``--receipt`` prints (two lines of four)."""
    lines = re.findall(r"^\W*([a-z]+(?: [a-z]+){3})\W*$", output, flags=re.M)
    receipt = " ".join(lines[:2])
    assert normalise_receipt(receipt) == receipt, output
    return receipt


def log_in(portal: LiveServer, receipt: str) -> tuple[NoJsBrowser, Page]:
    reporter = NoJsBrowser(portal.url)
    page = reporter.get("/follow-up?lang=nb")
    page = reporter.post_form(
        "/follow-up", [*form(page.html, "/follow-up").hidden.items(), ("receipt", receipt)]
    )
    return reporter, page


def test_an_oral_reporter_follows_up_on_the_portal_with_a_receipt(
    server: LiveServer, office: Office, office_home: Path, tmp_path: Path  # noqa: F811 (fixtures)
) -> None:
    # Before the inbox knows the portal's key and salt, no receipt and no case.
    early = office.inbox("intake", "--received-by", "Kari", "--how", "telefon", "--answer",
                         f"what_happened={WHAT}", "--minutes", MINUTES, "--receipt", check=False)
    assert early.returncode != 0 and "portalens nøkkel" in early.stdout + early.stderr
    assert json.loads(office.inbox("list", "--json").stdout) == []

    pin_portal(office, tmp_path)
    made = office.inbox(
        "intake", "--received-by", "Kari Partisekretær", "--how", "samtale",
        "--answer", f"what_happened={WHAT}", "--answer", "when=i november",
        "--minutes", MINUTES, "--receipt",
    )
    receipt = receipt_in(made.stdout)
    (row,) = json.loads(office.inbox("list", "--json").stdout)
    case = str(row["id"])
    log = json.loads(office.inbox("case", "show", case, "--json").stdout)
    assert "kvittering-gitt" in {e["kind"] for e in log["log"]}
    # Lost before the bundle is made: new words replace the old ones.
    lost = receipt
    receipt = receipt_in(office.inbox("case", "receipt", case).stdout)
    assert receipt != lost
    # The receipts are nowhere in the inbox's files.
    for words in (lost, receipt):
        assert _files_containing(office_home, words.encode()) == []

    # Until the bundle is applied, the receipt opens nothing.
    _, page = log_in(server, receipt)
    assert not page.url.endswith("/thread")

    assert "1 ny tråd på portalen" in office.inbox("outbox").stdout
    bundle = export(office, tmp_path, "ut-1.bundle")
    (opening,) = read_outbound(bundle, office.public.verify_key).open_threads
    assert opening.id == case and opening.status == "received"
    for secret in (WHAT, MINUTES, receipt):
        assert secret.encode() not in bundle
    again = office.inbox("case", "receipt", case, check=False)
    assert again.returncode != 0 and "allerede en tråd" in again.stdout + again.stderr
    page_html = office.upload(bundle)
    assert 'id="threads-opened">1<' in page_html, page_html
    _, page = log_in(server, lost)
    assert not page.url.endswith("/thread")

    # The reporter logs in without JavaScript and sees what they told the office.
    reporter, page = log_in(server, receipt)
    assert page.url.endswith("/thread"), page.html
    assert WHAT in page.html and "i november" in page.html
    assert MINUTES not in page.html  # the minutes are the office's notes
    spec = form(page.html, "/thread")
    page = reporter.post_multipart(
        "/thread", [*spec.hidden.items(), ("text", MESSAGE)], []
    )
    assert page.status == 200 and MESSAGE in page.html

    # The message reaches the inbox on the same case.
    inbound = tmp_path / "inn-1.bundle"
    inbound.write_bytes(office.download())
    assert MESSAGE.encode() not in inbound.read_bytes()
    office.inbox("import", str(inbound))
    (row,) = json.loads(office.inbox("list", "--json").stdout)
    assert row["id"] == case and row["items"] == 2
    shown = json.dumps(json.loads(office.inbox("show", case, "--json").stdout),
                       ensure_ascii=False)
    assert MESSAGE in shown and WHAT in shown

    # The office replies and acknowledges the case; the reporter reads both.
    office.inbox("reply", case, "--message", REPLY)
    office.inbox("case", "state", case, "bekreftet")
    second = export(office, tmp_path, "ut-2.bundle")
    carried = read_outbound(second, office.public.verify_key)
    assert [r.thread for r in carried.replies] == [case]
    page_html = office.upload(second)
    assert 'id="replies">1<' in page_html and 'id="upload-error"' not in page_html
    _, page = log_in(server, receipt)
    assert REPLY in page.html and MESSAGE in page.html and WHAT in page.html

    # No plaintext of the report, the message, the reply or the receipt on the portal.
    for secret in (WHAT, MINUTES, MESSAGE, REPLY, receipt):
        assert _files_containing(server.data_dir, secret.encode()) == [], secret
        assert secret not in server.output, secret
