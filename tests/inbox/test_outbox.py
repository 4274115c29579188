"""Replies, statuses and acknowledgements going back to the portal in signed bundles."""

import json
import os
import sqlite3
import sys
from pathlib import Path

from crypto import bundle as bundles
from crypto.payload import Reply, decode_payload

from .conftest import CANARY, Office, Portal, Reporter, answers


def write(tmp_path: Path, data: bytes, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def export(office: Office, tmp_path: Path, name: str) -> bundles.OutboundBundle:
    path = tmp_path / name
    result = office.ok("export-outbound", str(path))
    assert "Pakke nr." in result.output
    return bundles.read_outbound(path.read_bytes(), office.public.verify_key)


def test_reply_status_and_ack_travel_in_a_bundle_signed_by_the_office(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "inn1.vsb"))
    text = "Takk for at du varslet. Vi tar kontakt innen en uke. – Partikontoret"
    office.ok("reply", thread[:6], "--message", text)
    office.ok("case", "open", thread[:6])
    for state in ("bekreftet", "anklagedes-versjon"):
        office.ok("case", "state", thread[:6], state)

    out = export(office, tmp_path, "ut1.vsb")
    assert out.sequence == 1
    assert out.audience == portal.fingerprint
    assert len(out.acks) == 1
    assert out.statuses == (
        bundles.StatusChange(thread, "acknowledged"),
        bundles.StatusChange(thread, "in_progress"),
    )
    (sent,) = out.replies
    assert sent.thread == thread
    assert decode_payload(reporter.open(sent.envelope)) == Reply(text)
    assert (tmp_path / "ut1.vsb").stat().st_mode & 0o777 == 0o600

    shown = json.loads(office.ok("show", thread, "--json").output)
    assert [e["type"] for e in shown["entries"]] == ["report", "reply", "status", "status"]
    assert shown["entries"][1]["text"] == text
    assert shown["status"] == "in_progress"


def test_exports_are_cumulative_until_the_portal_confirms_them(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "inn1.vsb"))
    office.ok("reply", thread, "-m", "første svar")
    first = export(office, tmp_path, "ut1.vsb")
    # The USB stick with bundle 1 is lost; a new reply is written; bundle 2 carries both.
    office.ok("reply", thread, "-m", "andre svar")
    second = export(office, tmp_path, "ut2.vsb")
    assert second.sequence == first.sequence + 1
    assert {r.id for r in first.replies} < {r.id for r in second.replies}
    assert second.acks == first.acks
    # The portal applied bundle 2 and says so in its next inbound bundle.
    result = office.ok(
        "import", write(tmp_path, portal.bundle(last_outbound_sequence=2), "inn2.vsb")
    )
    assert "bekreftet 3 utgående" in result.output
    third = export(office, tmp_path, "ut3.vsb")
    assert third.sequence == 3
    assert third.replies == () and third.acks == () and third.statuses == ()
    # Confirmed replies stay readable in the thread.
    entries = json.loads(office.ok("show", thread, "--json").output)["entries"]
    assert [e["confirmed"] for e in entries if e["type"] == "reply"] == [True, True]


def test_partial_confirmation_keeps_later_entries(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "inn1.vsb"))
    export(office, tmp_path, "ut1.vsb")  # carries the ack
    office.ok("status", thread, "bekreftet")
    export(office, tmp_path, "ut2.vsb")  # ack + status
    office.ok("import", write(tmp_path, portal.bundle(last_outbound_sequence=1), "inn2.vsb"))
    third = export(office, tmp_path, "ut3.vsb")
    assert third.acks == ()
    assert third.statuses == (bundles.StatusChange(thread, "acknowledged"),)


def test_an_item_still_on_the_portal_after_its_ack_was_applied_is_acked_again(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(clear=False), "inn1.vsb"))
    first = export(office, tmp_path, "ut1.vsb")
    office.ok("import", write(tmp_path, portal.bundle(last_outbound_sequence=1), "inn2.vsb"))
    assert export(office, tmp_path, "ut2.vsb").acks == first.acks


def test_export_refuses_to_overwrite_and_needs_a_pinned_portal(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    early = office.run("export-outbound", str(tmp_path / "x.vsb"))
    assert early.exit_code == 1 and "Importer en pakke" in early.output
    portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "inn1.vsb"))
    existing = tmp_path / "finnes.vsb"
    existing.write_bytes(b"gammel")
    result = office.run("export-outbound", str(existing))
    assert result.exit_code == 1 and "finnes allerede" in result.output
    assert existing.read_bytes() == b"gammel"
    assert export(office, tmp_path, "ny.vsb").sequence == 1  # the refusal used no number


def test_status_without_a_case_only_acknowledges_and_refuses_other_words(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "inn1.vsb"))
    for word in ("under-behandling", "avsluttet", "mottatt"):
        refused = office.run("status", thread, word)
        assert refused.exit_code == 1 and "case open" in refused.output
        assert json.loads(office.ok("show", thread, "--json").output)["status"] == "received"
    for word in ("Bekreftet", "acknowledged"):
        office.ok("status", thread, word)
        assert json.loads(office.ok("show", thread, "--json").output)["status"] == "acknowledged"
    bad = office.run("status", thread, "slettet")
    assert bad.exit_code == 1 and "Ukjent status" in bad.output


def test_reply_in_the_editor_leaves_no_draft_behind(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path, monkeypatch
) -> None:
    thread = portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "inn1.vsb"))
    script = tmp_path / "editor.py"
    script.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        f"p.write_text(p.read_text() + 'Svar skrevet i editor. {CANARY}\\n')\n"
        "pathlib.Path(sys.argv[0]).with_name('seen-path').write_text(str(p))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    office.ok("reply", thread)
    draft = Path((tmp_path / "seen-path").read_text())
    assert draft.parent == office.home.path
    assert not draft.exists()
    out = export(office, tmp_path, "ut.vsb")
    assert decode_payload(reporter.open(out.replies[0].envelope)) == Reply(
        f"Svar skrevet i editor. {CANARY}"
    )
    assert not [p for p in os.listdir(office.home.path) if p.startswith(".utkast")]


def test_empty_reply_is_refused(
    office: Office, portal: Portal, reporter: Reporter, tmp_path: Path
) -> None:
    thread = portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "inn1.vsb"))
    result = office.run("reply", thread, "-m", "   ")
    assert result.exit_code == 1 and "tomt" in result.output


def test_a_version_3_store_gets_the_openings_table(office: Office) -> None:
    """Stores made before receipts for reports received outside the portal upgrade."""
    db = sqlite3.connect(office.home.database)
    db.executescript(
        "DROP TABLE openings; UPDATE meta SET value = 3 WHERE name = 'schema_version';"
    )
    db.close()
    assert "Venter: 0 kvitteringer, 0 svar, 0 statuser." in office.ok("outbox").output
    db = sqlite3.connect(office.home.database)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    version = db.execute("SELECT value FROM meta WHERE name = 'schema_version'").fetchone()[0]
    db.close()
    assert "openings" in tables and version == 4
