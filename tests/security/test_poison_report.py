"""Issue 7, stop-everything #1: one anonymous report must never block intake.

A report whose file part carried a Content-Type of more than 255 characters used to get a
receipt; the portal sealed it, and from then on the inbox refused every inbound bundle
whole ("media type must be at most 255") until the thread expired. Two fixes, two tests,
every part real (``varsel-portal run`` over HTTP, the ``varsel-portal`` and
``varsel-inbox`` commands as processes):

- the portal checks everything it seals with the reader's own validator, normalising what
  it can (an over-long media type becomes application/octet-stream);
- the inbox imports the good items of a validly signed bundle and sets a bad one aside,
  says so, and acknowledges it, so the portal deletes its ciphertext.
"""

import json
import sqlite3
from pathlib import Path

from conftest import LiveServer
from inbox_process import run_inbox
from intake import export_inbound, portal_identity, run_portal, submit

from crypto import bundle as bundles
from crypto.encoding import b64encode
from crypto.envelope import seal
from crypto.keys import PublicIdentity

POISON_TYPE = "application/" + "x" * 300
LONG_NAME = "e" * 300 + ".pdf"


def _threads(home: Path) -> list[dict[str, object]]:
    result: list[dict[str, object]] = json.loads(run_inbox(home, "list", "--json").stdout)
    return result


def _show(home: Path, thread: str) -> dict[str, object]:
    result: dict[str, object] = json.loads(run_inbox(home, "show", thread, "--json").stdout)
    return result


def _envelopes_left(server: LiveServer) -> int:
    with sqlite3.connect(server.data_dir / "varsel.sqlite3") as db:
        row = db.execute(
            "SELECT count(*) FROM submissions WHERE office_envelope IS NOT NULL"
        ).fetchone()
    return int(row[0])


def test_a_poison_file_part_is_normalised_and_intake_goes_on(
    server: LiveServer, office_home: Path, tmp_path: Path
) -> None:
    submit(
        server,
        "Første varsel, med vedlegg.",
        [("bevis.txt", POISON_TYPE, b"innhold A"), (LONG_NAME, "text/plain", b"innhold B")],
    )
    submit(server, "Andre varsel, sendt etterpå.")

    bundle = tmp_path / "inn.bundle"
    export_inbound(server, bundle)
    imported = run_inbox(office_home, "import", str(bundle))
    assert "2 nye elementer" in imported.stdout, imported.stdout

    texts: dict[str, dict[str, object]] = {}
    for thread in _threads(office_home):
        shown = _show(office_home, str(thread["id"]))
        entry = shown["entries"][0]  # type: ignore[index]
        texts[entry["answers"]["what_happened"]] = entry
    assert set(texts) == {"Første varsel, med vedlegg.", "Andre varsel, sendt etterpå."}
    refs = texts["Første varsel, med vedlegg."]["attachments"]
    assert [r["media_type"] for r in refs] == ["application/octet-stream", "text/plain"]  # type: ignore[index]
    long_name = refs[1]["name"]  # type: ignore[index]
    assert len(long_name) <= 255 and long_name.endswith(".pdf")


def _poison_payload(reporter_public_key: bytes) -> bytes:
    """A report payload a portal without the writer-side check would have sealed."""
    return json.dumps(
        {
            "answers": {"what_happened": "Giftig varsel"},
            "attachments": [],
            "reporter_public_key": b64encode(reporter_public_key),
            "type": "report",
            "v": 1,
        }
        | {
            "attachments": [
                {
                    "blob": "blob-poison-1",
                    "key": b64encode(bytes(32)),
                    "media_type": POISON_TYPE,
                    "name": "bevis.txt",
                    "size": 1,
                }
            ]
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode()


def test_a_bad_item_is_set_aside_and_acknowledged_and_the_rest_imported(
    server: LiveServer, office_home: Path, tmp_path: Path
) -> None:
    submit(server, "Første varsel.")
    submit(server, "Andre varsel.")
    first = export_inbound(server, tmp_path / "ekte.bundle")
    portal = portal_identity(server)
    inbound = bundles.read_inbound(first, portal.public.verify_key)
    office = PublicIdentity.from_text((office_home / "office.pub").read_text())
    bad, good = inbound.items  # either of the two: the portal orders them by thread id
    thread = {t.id: t for t in inbound.threads}[bad.thread]
    poisoned = bundles.InboundItem(
        id=bad.id,
        thread=bad.thread,
        kind=bad.kind,
        day=bad.day,
        envelope=seal(_poison_payload(thread.reporter_public_key), [office.encryption_key]),
    )
    # Signed with the portal's real key: what a portal that sealed the poison would send.
    data = bundles.write_inbound(
        bundles.InboundBundle(
            created_day=inbound.created_day,
            last_outbound_sequence=0,
            threads=inbound.threads,
            items=(poisoned, good),
        ),
        portal,
    )
    bundle_file = tmp_path / "forgiftet.bundle"
    bundle_file.write_bytes(data)

    imported = run_inbox(office_home, "import", str(bundle_file))
    assert "1 nytt element" in imported.stdout, imported.stdout
    report = imported.stdout
    assert "lagt til side" in report.lower() and "set aside" in report.lower(), report
    assert bad.id[:8] in report and "media type" in report, report
    assert "Traceback" not in imported.stderr

    shown = {str(t["id"]): _show(office_home, str(t["id"])) for t in _threads(office_home)}
    good_entries = shown[good.thread]["entries"]
    assert len(good_entries) == 1  # type: ignore[arg-type]
    assert good_entries[0]["answers"]["what_happened"] in ("Første varsel.", "Andre varsel.")  # type: ignore[index]
    listed = {str(t["id"]): t["set_aside"] for t in _threads(office_home)}
    assert listed == {bad.thread: 1, good.thread: 0}
    assert "1 lagt til side" in run_inbox(office_home, "list").stdout
    bad_view = shown[bad.thread]
    assert bad_view["entries"] == []
    assert [s["id"] for s in bad_view["set_aside"]] == [bad.id]  # type: ignore[union-attr]

    # Importing the same bundle again adds nothing and sets nothing aside twice.
    again = run_inbox(office_home, "import", str(bundle_file))
    assert "Ingenting nytt" in again.stdout and "lagt til side" not in again.stdout.lower()

    # Both items are acknowledged, so the portal deletes both ciphertexts.
    outbound = tmp_path / "svar.bundle"
    exported = run_inbox(office_home, "export-outbound", str(outbound))
    assert "2 kvitteringer" in exported.stdout, exported.stdout
    assert _envelopes_left(server) == 2
    run_portal(server, "import-outbound", str(outbound))
    assert _envelopes_left(server) == 0

    # Intake goes on: the next report arrives in the next bundle.
    submit(server, "Et tredje varsel.")
    nxt = tmp_path / "neste.bundle"
    export_inbound(server, nxt)
    assert "1 nytt element" in run_inbox(office_home, "import", str(nxt)).stdout
