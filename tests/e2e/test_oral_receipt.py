"""Reports received outside the portal, end to end with every part real (issue 12).

The accused's time limit to reply (§10.2) reaches the portal's office dashboard through
an outbound bundle as days only, tied to no case.
"""

import json
from datetime import date, timedelta
from pathlib import Path

from conftest import LiveServer
from test_full_loop import (  # noqa: F401 (fixtures)
    Office,
    _db_rows,
    office,
    office_home,
    server,
)

from crypto.bundle import read_outbound

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
