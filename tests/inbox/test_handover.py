"""Forwarding a case to a handler as a sealed case file (§6a) and closing it out (§6b)."""

import json
import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from inbox.home import Home
from inbox.init import init_home

from .conftest import CANARY, FAST_KDF, PASSPHRASE, Office, Portal, Reporter, answers, day
from .test_case import pdftotext

SCRIPT = Path(sys.executable).parent / "varsel-inbox"
HANDLER_PASSPHRASE = "saksbehandlers egen frase"
REPORT_TEXT = f"Det skjedde på sommersamlingen i Voss. {CANARY}"
EVIDENCE = bytes(range(256)) * 600  # 153 600 bytes: three stream chunks
LETTER = "Brev fra tillitsvalgt – æøå.\n".encode() * 10


@pytest.fixture
def handler(tmp_path: Path) -> Office:
    home = Home(tmp_path / "saksbehandler")
    public = init_home(home, HANDLER_PASSPHRASE, **FAST_KDF)
    return Office(home=home, public=public, runner=CliRunner())


def write(tmp_path: Path, data: bytes, name: str = "inn.vsb") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def open_as_handler(handler: Office, casefile: Path, out: Path, *extra: str):  # type: ignore[no-untyped-def]
    return handler.run(
        "open-casefile", str(casefile), "--out", str(out), *extra, passphrase=HANDLER_PASSPHRASE
    )


@pytest.fixture
def thread(office: Office, portal: Portal, reporter: Reporter, tmp_path: Path) -> str:
    tid = portal.report(
        reporter,
        answers(REPORT_TEXT),
        [("../../../etc/bevis.bin", EVIDENCE, "application/octet-stream")],
        received=day(30),
    )
    portal.message(
        tid, reporter, f"Tillegg fra varsleren. {CANARY}", [("brev.txt", LETTER, "text/plain")]
    )
    office.ok("import", write(tmp_path, portal.bundle(), "original.vsb"))
    office.ok("case", "open", tid, "--level", "fylkesparti")
    office.ok("case", "state", tid, "bekreftet")
    office.ok("case", "note", tid, "-t", f"Referat fra samtale. {CANARY}")
    return tid


def declare(office: Office, handler: Office, thread: str, *how: str) -> None:
    office.ok(
        "case", "declare", thread, "--to", str(handler.home.office_pub),
        "--name", "Kari Nordmann", *(how or ("--impartial",)),
    )  # fmt: skip


def forward(office: Office, handler: Office, thread: str, tmp_path: Path) -> Path:
    declare(office, handler, thread)
    target = tmp_path / "sak.vscase"
    result = office.run(
        "case", "export", thread, "--to", str(handler.home.office_pub),
        "--handler-name", "Kari Nordmann", "--out", str(target), input="j\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert handler.public.fingerprint in result.output
    assert "Kari Nordmann" in result.output
    return target


# -- §6d: impartiality before forwarding -----------------------------------------------------


def test_a_handler_without_a_declaration_or_biased_is_refused(
    office: Office, handler: Office, thread: str, tmp_path: Path
) -> None:
    target = tmp_path / "sak.vscase"
    args = ("case", "export", thread, "--to", str(handler.home.office_pub),
            "--out", str(target), "--yes")  # fmt: skip
    undeclared = office.run(*args)
    assert undeclared.exit_code == 1 and "habilitetserklæring" in undeclared.output
    assert "§6d" in undeclared.output and not target.exists()

    no_reason = office.run(
        "case", "declare", thread, "--to", str(handler.home.office_pub), "--name", "Per",
        "--biased", " ",
    )  # fmt: skip
    assert no_reason.exit_code == 1 and "begrunnelse" in no_reason.output
    both = office.run(
        "case", "declare", thread, "--to", str(handler.home.office_pub), "--name", "Per",
        "--impartial", "--biased", "nabo",
    )  # fmt: skip
    assert both.exit_code == 1 and "nøyaktig én" in both.output

    declare(office, handler, thread, "--biased", "Er gift med en av partene")
    biased = office.run(*args)
    assert biased.exit_code == 1 and "inhabil" in biased.output and not target.exists()
    # A biased handler stays biased in this case: a later "impartial" is refused.
    again = office.run(
        "case", "declare", thread, "--to", str(handler.home.office_pub), "--name", "Kari",
        "--impartial",
    )  # fmt: skip
    assert again.exit_code == 1 and "inhabil" in again.output
    assert office.run(*args).exit_code == 1

    log = json.loads(office.ok("case", "show", thread, "--json").output)["log"]
    declared = [e for e in log if e["kind"] == "habilitet"]
    assert len(declared) == 1
    assert "inhabil" in declared[0]["text"] and "Er gift med en av partene" in declared[0]["text"]
    assert handler.public.fingerprint in declared[0]["text"]
    assert "videresendt" not in [e["kind"] for e in log]


# -- §6a: forwarding --------------------------------------------------------------------------


def test_forwarded_case_opens_only_for_the_handler(
    office: Office, handler: Office, thread: str, tmp_path: Path
) -> None:
    target = forward(office, handler, thread, tmp_path)
    data = target.read_bytes()
    assert data.startswith(b"VSCASEF1")
    assert CANARY.encode() not in data and b"%PDF" not in data and EVIDENCE[:512] not in data
    assert target.stat().st_mode & 0o777 == 0o600

    out = tmp_path / "mappe"
    opened = open_as_handler(handler, target, out)
    assert opened.exit_code == 0, opened.output
    assert office.public.fingerprint in " ".join(opened.output.split())
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(["saksmappe-" + thread[:8] + ".pdf", "bevis.bin", "brev.txt"])
    assert (out / "bevis.bin").read_bytes() == EVIDENCE
    assert (out / "brev.txt").read_bytes() == LETTER
    plain = " ".join(pdftotext(out / f"saksmappe-{thread[:8]}.pdf").split())
    assert "Det skjedde på sommersamlingen i Voss." in plain
    assert "Tillegg fra varsleren." in plain and "Referat fra samtale." in plain
    assert not list(tmp_path.glob("**/*.part"))

    # The case log says to whom and when (§9.5).
    log = json.loads(office.ok("case", "show", thread, "--json").output)["log"]
    entry = log[-1]
    assert entry["kind"] == "videresendt" and entry["day"] == date.today().isoformat()
    assert "Kari Nordmann" in entry["text"] and handler.public.fingerprint in entry["text"]

    # The office is not a recipient: its own key cannot open the file.
    refused = office.run("open-casefile", str(target), "--out", str(tmp_path / "kontor"))
    assert refused.exit_code == 3
    assert "feil mottaker" in refused.output
    assert not (tmp_path / "kontor").exists()

    # The office fingerprint can be required.
    wrong = open_as_handler(
        handler, target, tmp_path / "annen", "--expect-fingerprint", handler.public.fingerprint
    )
    assert wrong.exit_code == 3 and not (tmp_path / "annen").exists()
    right = open_as_handler(
        handler, target, tmp_path / "riktig", "--expect-fingerprint", office.public.fingerprint
    )
    assert right.exit_code == 0, right.output


def test_forwarding_needs_confirmation_of_the_fingerprint(
    office: Office, handler: Office, thread: str, tmp_path: Path
) -> None:
    declare(
        office, handler, thread, "--not-applicable", "Ansatt på partikontoret, ukjent for partene"
    )
    target = tmp_path / "sak.vscase"
    args = ("case", "export", thread, "--to", str(handler.home.office_pub), "--out", str(target))
    declined = office.run(*args, input="n\n")
    assert declined.exit_code == 1 and "Avbrutt" in declined.output
    assert not target.exists()
    kinds = [
        e["kind"] for e in json.loads(office.ok("case", "show", thread, "--json").output)["log"]
    ]
    assert "videresendt" not in kinds
    assert office.run(*args, "--yes").exit_code == 0
    log = json.loads(office.ok("case", "show", thread, "--json").output)["log"]
    assert handler.public.fingerprint in log[-1]["text"]
    assert "Kari Nordmann" in log[-1]["text"]  # no name given: the declared one
    again = office.run(*args, "--yes")
    assert again.exit_code == 1 and "finnes allerede" in again.output
    own = office.run(
        "case", "export", thread, "--to", str(office.home.office_pub), "--out",
        str(tmp_path / "egen.vscase"), "--yes",
    )  # fmt: skip
    assert own.exit_code == 1 and "egen nøkkel" in own.output


def test_plain_export_warns_that_it_is_unencrypted(
    office: Office, thread: str, tmp_path: Path
) -> None:
    result = office.ok("case", "export", thread, "--out", str(tmp_path / "sak.pdf"))
    assert "UKRYPTERT" in result.output
    assert (tmp_path / "sak.pdf").read_bytes().startswith(b"%PDF")


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_tampered_or_truncated_case_files_are_refused_with_nothing_written(
    office: Office, handler: Office, thread: str, tmp_path: Path
) -> None:
    data = forward(office, handler, thread, tmp_path).read_bytes()
    elen = int.from_bytes(data[72:76], "big")
    streams = 76 + elen + 64
    variants = {
        "office key": _flip(data, 40),
        "envelope": _flip(data, 76 + elen // 2),
        "signature": _flip(data, 76 + elen + 3),
        "pdf stream": _flip(data, streams + 100),
        "last byte": _flip(data, len(data) - 1),
        "cut in a stream": data[: streams + 70_000],
        "cut last byte": data[:-1],
        "cut header": data[:50],
        "appended": data + b"\x00",
        "empty": b"",
    }
    for what, bad in variants.items():
        path = tmp_path / f"skadet-{what.replace(' ', '-')}.vscase"
        path.write_bytes(bad)
        out = tmp_path / f"ut-{what.replace(' ', '-')}"
        result = open_as_handler(handler, path, out)
        assert result.exit_code == 3, (what, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Feil: Saksmappen ble avvist"), what
        assert not out.exists(), what
    # An existing directory is left as it was.
    existing = tmp_path / "finnes"
    existing.mkdir()
    (existing / "annet.txt").write_text("x")
    (tmp_path / "kuttet.vscase").write_bytes(data[:-20])
    assert open_as_handler(handler, tmp_path / "kuttet.vscase", existing).exit_code == 3
    assert [p.name for p in existing.iterdir()] == ["annet.txt"]


def test_installed_script_opens_a_case_file(
    office: Office, handler: Office, thread: str, tmp_path: Path
) -> None:
    target = forward(office, handler, thread, tmp_path)
    env = {
        **os.environ,
        "VARSEL_INBOX_HOME": str(handler.home.path),
        "VARSEL_INBOX_PASSPHRASE": HANDLER_PASSPHRASE,
        "COLUMNS": "160",
    }

    def run(path: Path, out: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(SCRIPT), "open-casefile", str(path), "--out", str(out)],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    ok = run(target, tmp_path / "prosess")
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "prosess" / "bevis.bin").read_bytes() == EVIDENCE
    bad = tmp_path / "skadet.vscase"
    bad.write_bytes(_flip(target.read_bytes(), len(target.read_bytes()) - 5000))
    refused = run(bad, tmp_path / "prosess-skadet")
    assert refused.returncode == 3
    assert refused.stderr.startswith("Feil: Saksmappen ble avvist")
    assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    assert not (tmp_path / "prosess-skadet").exists()


# -- §6b: close-out -----------------------------------------------------------------------


def files_containing(root: Path, needle: bytes) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_close_out_is_refused_before_the_case_is_closed(office: Office, thread: str) -> None:
    refused = office.run("case", "close-out", thread, "--yes")
    assert refused.exit_code == 1 and "«bekreftet»" in refused.output
    assert "avsluttet" in refused.output
    assert CANARY in office.ok("show", thread).output


def test_close_out_deletes_content_and_reimport_does_not_bring_it_back(
    office: Office, portal: Portal, reporter: Reporter, thread: str, tmp_path: Path
) -> None:
    office.ok("reply", thread, "-m", f"Svar til varsleren. {CANARY}")
    for state in ("anklagedes-versjon", "omforent-losning", "avsluttet"):
        office.ok("case", "state", thread, state)
    # A reply the portal has not confirmed would be lost: refused until it is.
    early = office.run("case", "close-out", thread, "--yes")
    assert early.exit_code == 1 and "ikke bekreftet" in early.output
    office.ok("export-outbound", str(tmp_path / "ut1.vsb"))
    office.ok("import", write(tmp_path, portal.bundle(last_outbound_sequence=1), "inn2.vsb"))

    db = sqlite3.connect(office.home.database)
    sealed_item = db.execute("SELECT sealed FROM items LIMIT 1").fetchone()[0]
    sealed_log = db.execute("SELECT sealed FROM case_log LIMIT 1").fetchone()[0]
    db.close()
    blobs = list(office.home.blobs.iterdir())
    assert len(blobs) == 2
    needles = [sealed_item[40:72], sealed_log[30:60], blobs[0].read_bytes()[200:240]]
    for needle in needles:
        assert files_containing(office.home.path, needle)

    declined = office.run("case", "close-out", thread, input="n\n")
    assert declined.exit_code == 1 and "Ingenting er slettet" in declined.output
    done = office.run("case", "close-out", thread, input="j\n")
    assert done.exit_code == 0, done.output
    assert "overlevert og slettet" in done.output

    # Nothing of the report is left: not the canary, not even the wrapped rows or blobs.
    for needle in [CANARY.encode(), *needles]:
        assert files_containing(office.home.path, needle) == [], needle
    assert list(office.home.blobs.iterdir()) == []
    db = sqlite3.connect(office.home.database)
    try:
        for table in ("items", "attachments", "cases", "case_log"):
            assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0, table
        assert db.execute("SELECT COUNT(*) FROM outbox WHERE kind = 'reply'").fetchone()[0] == 0
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        tomb = db.execute(
            "SELECT thread, received_day, closed_day, final_state, handed_over FROM closed_threads"
        ).fetchall()
        assert tomb == [(thread, day(30), date.today().isoformat(), "overlevert", 1)]
    finally:
        db.close()
    assert not list(office.home.path.glob("*-journal")) and not list(office.home.path.glob("*-wal"))

    listing = json.loads(office.ok("list", "--json").output)
    assert listing[0]["id"] == thread and listing[0]["deleted"] is True
    assert listing[0]["case_state"] == "overlevert" and listing[0]["items"] == 0
    assert listing[0]["status"] == "closed" and listing[0]["deadlines"] == []
    assert "slettet" in office.ok("list").output
    shown = office.run("show", thread)
    assert shown.exit_code == 1 and "slettet" in shown.output
    assert office.run("case", "close-out", thread, "--yes").exit_code == 1

    # Re-importing the original bundle brings nothing back (idempotent).
    again = office.ok("import", str(tmp_path / "original.vsb"))
    assert "Ingenting nytt" in again.output
    assert list(office.home.blobs.iterdir()) == []
    assert files_containing(office.home.path, CANARY.encode()) == []
    assert json.loads(office.ok("list", "--json").output)[0]["items"] == 0

    # A new message for the deleted case is not imported and not acknowledged.
    portal.message(thread, reporter, f"Ny melding etter sletting. {CANARY}")
    late = office.ok("import", write(tmp_path, portal.bundle(last_outbound_sequence=1), "inn3.vsb"))
    assert "avsluttet og slettet" in late.output
    assert files_containing(office.home.path, CANARY.encode()) == []
    pending = office.ok("outbox").output
    # "Avsluttet" went to the portal with the state change and was confirmed by inn2.
    assert "0 kvitteringer" in pending and "0 statuser" in pending


def test_close_out_from_overlevert_and_a_version_1_store_upgrades(
    office: Office, thread: str
) -> None:
    for state in ("anklagedes-versjon", "omforent-losning", "avsluttet", "overlevert"):
        office.ok("case", "state", thread, state)
    db = sqlite3.connect(office.home.database)
    db.executescript(
        "DROP TABLE closed_threads; DROP TABLE deleted_items; "
        "UPDATE meta SET value = 1 WHERE name = 'schema_version';"
    )
    db.close()
    office.ok("case", "close-out", thread, "--yes")
    assert json.loads(office.ok("list", "--json").output)[0]["deleted"] is True
    assert PASSPHRASE  # the office passphrase was used throughout


def test_a_handler_name_the_reader_would_refuse_is_refused_when_writing(
    office: Office, handler: Office, thread: str, tmp_path: Path
) -> None:
    declare(office, handler, thread)
    target = tmp_path / "sak.vscase"
    result = office.run(
        "case", "export", thread, "--to", str(handler.home.office_pub),
        "--handler-name", "K" * 256, "--out", str(target), "--yes",
    )  # fmt: skip
    assert result.exit_code != 0 and "saksbehandlernavn" in result.output, result.output
    assert not target.exists()
    assert [p for p in tmp_path.iterdir() if p.name.startswith(".sak.vscase")] == []
