"""Importing inbound bundles: pinning, refusal of anything wrong, idempotence, reading."""

import json
import sqlite3

from crypto import bundle as bundles
from crypto.keys import SecretIdentity

from .conftest import CANARY, Office, Portal, Reporter, answers, day


def store_counts(office: Office) -> tuple[int, ...]:
    db = sqlite3.connect(office.home.database)
    try:
        return tuple(
            db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("threads", "items", "attachments", "outbox")
        )
    finally:
        db.close()


def assert_nothing_stored(office: Office) -> None:
    assert store_counts(office) == (0, 0, 0, 0)
    assert list(office.home.blobs.iterdir()) == []


def write(tmp_path, data: bytes, name: str = "inn.vsb"):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_first_import_pins_the_portal_key_and_summarises(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    portal.report(reporter, answers(), [("bilde.txt", b"bevis", "text/plain")])
    result = office.ok("import", write(tmp_path, portal.bundle()))
    assert "Festet portalnøkkel" in result.output
    assert portal.fingerprint in result.output
    assert "kontorsiden" in result.output
    assert "1 ny sak, 1 nytt element (1 vedlegg)" in result.output
    assert office.home.read_pin() == portal.identity.public.verify_key
    assert store_counts(office) == (1, 1, 1, 1)  # one ack queued
    assert len(list(office.home.blobs.iterdir())) == 1


def test_expect_fingerprint_checks_the_first_pin(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    portal.report(reporter, answers())
    path = write(tmp_path, portal.bundle())
    other = bundles.signer_fingerprint(SecretIdentity.generate().public.verify_key)
    refused = office.run("import", path, "--expect-fingerprint", other)
    assert refused.exit_code == 3
    assert not office.home.portal_pin.exists()
    assert_nothing_stored(office)
    office.ok("import", path, "--expect-fingerprint", portal.fingerprint.lower())
    assert office.home.portal_pin.exists()


def test_importing_the_same_bundle_twice_adds_nothing(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    portal.report(reporter, answers(), [("a.txt", b"x" * 5000, "text/plain")])
    path = write(tmp_path, portal.bundle())
    office.ok("import", path)
    before = store_counts(office)
    again = office.ok("import", path)
    assert "Ingenting nytt: 1 element var allerede importert" in again.output
    assert store_counts(office) == before


def test_a_changed_portal_key_is_refused_loudly_and_nothing_stored(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "1.vsb"))
    before = store_counts(office)
    impostor = Portal(office=office.public)
    impostor.report(Reporter(), answers("falsk"))
    result = office.run("import", write(tmp_path, impostor.bundle(), "2.vsb"))
    assert result.exit_code == 3
    assert "PORTALNØKKELEN ER ENDRET" in result.output
    assert impostor.fingerprint in result.output
    assert result.output.strip().splitlines()[-1].startswith("Feil: ")
    assert store_counts(office) == before
    assert office.home.read_pin() == portal.identity.public.verify_key


def test_a_tampered_bundle_is_refused_whole(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    portal.report(reporter, answers(), [("a.txt", b"vedlegg", "text/plain")])
    portal.report(Reporter(), answers("en annen sak"))
    data = bytearray(portal.bundle())
    for position in (60, len(data) // 2, len(data) - 1):  # manifest, a blob, the end
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        result = office.run("import", write(tmp_path, bytes(flipped), f"t{position}.vsb"))
        assert result.exit_code == 3, result.output
        assert "Ingenting er importert" in result.output
        assert "Traceback" not in result.output
        assert_nothing_stored(office)
        assert not office.home.portal_pin.exists()


def set_aside_rows(office: Office) -> list[tuple[str, str]]:
    db = sqlite3.connect(office.home.database)
    try:
        return list(db.execute("SELECT id, thread FROM set_aside ORDER BY id"))
    finally:
        db.close()


def acks_queued(office: Office) -> set[str]:
    db = sqlite3.connect(office.home.database)
    try:
        return {r[0] for r in db.execute("SELECT ref FROM outbox WHERE kind = 'ack'")}
    finally:
        db.close()


def assert_set_aside_alone(office: Office, portal: Portal, bad: int, result) -> None:
    """Item ``bad`` of the bundle is set aside and acknowledged; every other one imported."""
    assert result.exit_code == 0, result.output
    item = portal.items[bad]
    assert set_aside_rows(office) == [(item.id, item.thread)]
    assert "Lagt til side" in result.output and item.id[:8] in result.output
    assert acks_queued(office) == {i.id for i in portal.items}
    db = sqlite3.connect(office.home.database)
    try:
        imported = {r[0] for r in db.execute("SELECT id FROM items")}
    finally:
        db.close()
    assert imported == {i.id for n, i in enumerate(portal.items) if n != bad}


def test_reporter_key_mismatch_sets_the_item_aside(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    portal.report(reporter, answers("en gyldig sak"))
    portal.report(reporter, answers(), payload_key=Reporter().public)  # swapped key
    result = office.run("import", write(tmp_path, portal.bundle(clear=False)))
    assert_set_aside_alone(office, portal, 1, result)
    assert "another reporter key" in result.output


def test_a_known_thread_cannot_get_a_new_reporter_key(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    thread = portal.report(reporter, answers())
    office.ok("import", write(tmp_path, portal.bundle(), "1.vsb"))
    before = store_counts(office)
    intruder = Reporter()
    portal.threads[thread] = bundles.InboundThread(thread, intruder.public, day(), "received")
    portal.message(thread, intruder, "send svarene til meg")
    result = office.run("import", write(tmp_path, portal.bundle(), "2.vsb"))
    assert result.exit_code == 3
    assert store_counts(office) == before


def test_a_broken_attachment_stream_sets_the_item_aside_with_its_streams(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    portal.report(reporter, answers(), [("a.txt", b"vedlegg", "text/plain")])
    portal.report(reporter, answers("den andre"), [("b.txt", b"godt vedlegg", "text/plain")])
    item = portal.items[0]
    blob = item.attachments[0]
    broken = bytearray(blob.data)
    broken[-1] ^= 1
    # Re-signed by the portal, so the bundle verifies; only the stream is wrong.
    portal.items[0] = type(item)(
        item.id,
        item.thread,
        item.kind,
        item.day,
        item.envelope,
        (bundles.Blob(blob.id, bytes(broken)),),
    )
    result = office.run("import", write(tmp_path, portal.bundle(clear=False)))
    assert_set_aside_alone(office, portal, 0, result)
    assert "attachment 1 does not open" in result.output
    # The set-aside stream is kept as received (still encrypted), beside the good one.
    kept = office.home.blobs / f"aside.{item.id}.1"
    assert kept.read_bytes() == bytes(broken)
    assert len(list(office.home.blobs.iterdir())) == 2


def test_an_envelope_for_another_office_is_set_aside(
    office: Office, reporter: Reporter, tmp_path
) -> None:
    other_office = SecretIdentity.generate().public
    portal = Portal(office=other_office)
    portal.report(reporter, answers())
    result = office.run("import", write(tmp_path, portal.bundle(clear=False)))
    assert_set_aside_alone(office, portal, 0, result)
    assert "not addressed to this key" in result.output, result.output


def test_list_and_show_present_the_report_in_norwegian(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    text = f"Han sendte meldinger hver natt.\nAndre linje. {CANARY}"
    thread = portal.report(
        reporter,
        answers(text, central_office="yes", party_employee_involved="yes"),
        [("skjerm.png", b"\x89PNG fake", "image/png")],
        received=day(10),
    )
    office.ok("import", write(tmp_path, portal.bundle()))

    listing = office.ok("list")
    assert thread[:8] in listing.output
    assert "● 1" in listing.output  # unread
    assert "bekreftelse" in listing.output  # 10 days, not acknowledged: overdue
    rows = json.loads(office.ok("list", "--json").output)
    assert rows[0]["id"] == thread
    assert rows[0]["days_since_received"] == 10
    assert rows[0]["unread"] == 1
    assert rows[0]["deadlines"][0]["overdue"] is True

    shown = office.ok("show", thread[:5]).output
    assert "Han sendte meldinger hver natt." in shown
    assert "Hva skjedde" in shown
    assert "partikontoret håndterer alltid (§8.2)" in shown
    assert "Vitne" in shown and "(§9.1)" in shown
    assert "arbeidsgiver må involveres (§11)" in shown
    assert "overnatting" in shown and "kjøreregel 11" in shown
    assert "AUF-medlem (§4)" in shown and "Tillitsvalgt (§3)" in shown
    assert "skjerm.png" in shown and "image/png" in shown
    assert "10 dager siden mottatt (frist: uten unødig opphold)" in shown

    obj = json.loads(office.ok("show", thread, "--json").output)
    report = obj["entries"][0]
    assert report["answers"]["what_happened"] == text
    assert report["attachments"][0]["name"] == "skjerm.png"
    assert report["unread"] is False or report["unread"] is True
    assert json.loads(office.ok("list", "--json").output)[0]["unread"] == 0  # marked read


def test_messages_follow_the_report_in_order(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    thread = portal.report(reporter, answers("Første"))
    office.ok("import", write(tmp_path, portal.bundle(), "1.vsb"))
    portal.message(thread, reporter, "Jeg har mer å fortelle.")
    result = office.ok("import", write(tmp_path, portal.bundle(), "2.vsb"))
    assert "0 nye saker, 1 nytt element" in result.output
    entries = json.loads(office.ok("show", thread, "--json").output)["entries"]
    assert [e["type"] for e in entries] == ["report", "message"]
    assert entries[1]["text"] == "Jeg har mer å fortelle."


def test_untrusted_text_cannot_drive_the_terminal(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    thread = portal.report(reporter, answers("før\x1b[2J\x1b]0;tittel\x07[bold red]etter\u202e"))
    office.ok("import", write(tmp_path, portal.bundle()))
    shown = office.ok("show", thread).output
    assert "\x1b" not in shown and "\u202e" not in shown
    assert "[bold red]etter" in shown  # printed literally, not as markup


def test_unknown_and_ambiguous_thread_prefixes(office: Office, portal: Portal, tmp_path) -> None:
    portal.report(Reporter(), answers(), thread_id="abcdefgh111")
    portal.report(Reporter(), answers(), thread_id="abcdefgh222")
    office.ok("import", write(tmp_path, portal.bundle()))
    unknown = office.run("show", "zzz")
    assert unknown.exit_code == 1 and "Ingen sak" in unknown.output
    ambiguous = office.run("show", "abc")
    assert ambiguous.exit_code == 1 and "passer til 2 saker" in ambiguous.output
    assert office.run("show", "abcdefgh2").exit_code == 0


def test_a_failure_during_commit_leaves_no_blob_files_and_no_rows(
    office: Office, portal: Portal, reporter: Reporter, tmp_path, monkeypatch
) -> None:
    import pytest

    from inbox import importer

    portal.report(reporter, answers(), [("a.txt", b"vedlegg", "text/plain")])
    path = write(tmp_path, portal.bundle())

    def broken_commit(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(importer, "_commit", broken_commit)
    with pytest.raises(sqlite3.OperationalError):
        office.run("import", path)
    assert_nothing_stored(office)
    assert not office.home.portal_pin.exists()


def test_blob_left_by_a_crash_after_commit_is_recovered(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    thread = portal.report(reporter, answers(), [("a.txt", b"vedlegg", "text/plain")])
    office.ok("import", write(tmp_path, portal.bundle()))
    (blob,) = office.home.blobs.iterdir()
    blob.rename(blob.with_name(f".tmp-0123abcd-{blob.name}"))  # as if the rename never ran
    (office.home.blobs / ".tmp-99-ukjent").write_bytes(b"rest")
    office.ok("attachments", thread, "--out", str(tmp_path / "ut"))
    assert (tmp_path / "ut" / "a.txt").read_bytes() == b"vedlegg"
    assert sorted(p.name for p in office.home.blobs.iterdir()) == [blob.name]


def test_the_portal_cannot_change_a_case_status_in_the_inbox(
    office: Office, portal: Portal, reporter: Reporter, tmp_path
) -> None:
    """Deadlines are computed from the inbox's status; a compromised portal claiming a case
    is closed must not make them disappear (review finding F11)."""
    import dataclasses

    thread_id = portal.report(reporter, answers())
    portal.threads[thread_id] = dataclasses.replace(portal.threads[thread_id], status="closed")
    # Until the portal applies an acknowledgement, every bundle carries the item again.
    office.ok("import", write(tmp_path, portal.bundle(clear=False), "first.vsb"))
    listed = json.loads(office.ok("list", "--json").output)
    assert [t["status"] for t in listed] == ["received"]

    office.ok("status", thread_id, "bekreftet")
    result = office.ok("import", write(tmp_path, portal.bundle(clear=False), "second.vsb"))
    assert [t["status"] for t in json.loads(office.ok("list", "--json").output)] == ["acknowledged"]
    assert "closed" not in result.output  # our status is on its way: no false alarm

    office.ok("export-outbound", str(tmp_path / "ut.vsb"))
    result = office.ok("import", write(tmp_path, portal.bundle(last_outbound_sequence=1), "3.vsb"))
    assert [t["status"] for t in json.loads(office.ok("list", "--json").output)] == ["acknowledged"]
    assert "«closed»" in result.output and "Innboksens status gjelder" in result.output


def test_a_changed_last_blob_refuses_the_bundle_after_earlier_streams_were_copied(
    office: Office, portal: Portal, tmp_path
) -> None:
    """The import reads the bundle a piece at a time and copies each attachment stream to a
    temporary file as it checks it; a blob changed near the end (checked last) must still
    leave nothing: no rows, no blob files, no temporary files, no pin."""
    first = bytes(range(256)) * 1024
    portal.report(Reporter(), answers(), [("a.bin", first, "application/octet-stream")])
    portal.report(Reporter(), answers("to"), [("b.bin", b"andre" * 9000, "text/plain")])
    data = portal.bundle()
    for change in ("flip", "cut", "extend"):
        if change == "flip":
            changed = data[:-10] + bytes([data[-10] ^ 0x80]) + data[-9:]
        elif change == "cut":
            changed = data[:-1]
        else:
            changed = data + b"\0"
        result = office.run("import", write(tmp_path, changed, f"{change}.vsb"))
        assert result.exit_code == 3, result.output
        assert "Ingenting er importert" in result.output
        assert_nothing_stored(office)
        assert not office.home.portal_pin.exists()
    office.ok("import", write(tmp_path, data))
    assert store_counts(office)[:3] == (2, 2, 2)
    assert sorted(p.stat().st_size for p in office.home.blobs.iterdir()) == sorted(
        len(b.data)
        for item in bundles.read_inbound(data, portal.identity.public.verify_key).items
        for b in item.attachments
    )


def test_every_bit_flip_and_truncation_of_a_bundle_is_refused_by_the_import(
    office: Office, portal: Portal, tmp_path
) -> None:
    """Through the streaming import, not only the in-memory reader (tests/crypto flips every
    bit there): a bit flipped at places spread over the head, the envelope and the stream,
    or a cut anywhere, is refused whole, and nothing is stored."""
    portal.report(Reporter(), answers("kort"), [("a.txt", b"vedlegg", "text/plain")])
    data = portal.bundle()
    step = max(1, len(data) // 40)
    for position in range(0, len(data), step):
        flipped = bytearray(data)
        flipped[position] ^= 1 << (position % 8)
        result = office.run("import", write(tmp_path, bytes(flipped), "flip.vsb"))
        assert result.exit_code == 3, (position, result.output)
    for length in (0, 10, 44, len(data) // 2, len(data) - 1):
        result = office.run("import", write(tmp_path, data[:length], "cut.vsb"))
        assert result.exit_code == 3, (length, result.output)
    assert_nothing_stored(office)
