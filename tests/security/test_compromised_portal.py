"""Issue 7, items 4-6: what a validly signed bundle can still carry.

The portal signs inbound bundles and the inbox pins its key, but the portal is untrusted
(docs/THREAT-MODEL.md): a compromised portal, or an anonymous reporter whose payload the
portal passed along, must not crash the office's tools or block intake. Every bundle here
is signed with a portal key made by the portal's own code and imported with the real
``varsel-inbox`` command.
"""

import json
import os
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from inbox_process import PASSPHRASE, run_inbox
from intake import (
    FAST_KDF,
    HostilePortal,
    attachment,
    new_thread,
    raw_payload,
)
from nacl.public import PrivateKey

from crypto.encoding import b64encode
from inbox.home import Home
from inbox.init import init_home

EMOJI_NAME = "\U0001f600" * 130 + ".txt"  # 134 code points, 524 bytes of UTF-8


@pytest.fixture
def office_home(tmp_path: Path) -> Path:
    home = tmp_path / "innboks"
    init_home(Home(home), PASSPHRASE, **FAST_KDF)  # type: ignore[arg-type]
    return home


@pytest.fixture
def portal(tmp_path: Path, office_home: Path) -> HostilePortal:
    from crypto.keys import PublicIdentity

    office = PublicIdentity.from_text((office_home / "office.pub").read_text())
    return HostilePortal(tmp_path / "instance", office)


def report(key: bytes, what_happened: str, refs: list[dict[str, object]] = ()) -> bytes:  # type: ignore[assignment]
    return raw_payload(
        {
            "answers": {"what_happened": what_happened},
            "attachments": list(refs),
            "reporter_public_key": b64encode(key),
            "type": "report",
            "v": 1,
        }
    )


def import_file(home: Path, tmp_path: Path, data: bytes, name: str = "inn.bundle"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(data)
    return run_inbox(home, "import", str(path), check=False)


def only_thread(home: Path) -> str:
    threads = json.loads(run_inbox(home, "list", "--json").stdout)
    assert len(threads) == 1
    return str(threads[0]["id"])


# -- item 4: names in bytes ----------------------------------------------------------------


def test_emoji_names_become_short_distinct_file_names(
    office_home: Path, portal: HostilePortal, tmp_path: Path
) -> None:
    key = bytes(PrivateKey.generate().public_key)
    refs, blobs = zip(
        attachment(EMOJI_NAME, b"forste"),
        attachment(EMOJI_NAME, b"andre"),
        attachment("\U0001f600" * 250, b"uten endelse"),
        strict=True,
    )
    thread = new_thread(key)
    item = portal.item(thread.id, report(key, "Vedlegg med lange navn", list(refs)), blobs=blobs)
    assert import_file(office_home, tmp_path, portal.sign([thread], [item])).returncode == 0
    tid = only_thread(office_home)

    out = tmp_path / "vedlegg"
    written = run_inbox(office_home, "attachments", tid, "--out", str(out))
    assert "Traceback" not in written.stderr
    files = sorted(out.iterdir(), key=lambda p: p.read_bytes())
    assert sorted(p.read_bytes() for p in files) == [b"andre", b"forste", b"uten endelse"]
    names = [p.name for p in files]
    assert len(set(names)) == 3
    for name in names:
        assert len(os.fsencode(name)) <= 255
        name.encode("utf-8")  # valid UTF-8: no half emoji
    by_body = {p.read_bytes(): p.name for p in files}
    assert by_body[b"forste"].endswith(".txt") and by_body[b"andre"].endswith(".txt")
    assert by_body[b"forste"].startswith("\U0001f600")

    # The handler's open-casefile writes the same files.
    handler = tmp_path / "saksbehandler"
    init_home(Home(handler), PASSPHRASE, **FAST_KDF)  # type: ignore[arg-type]
    run_inbox(office_home, "case", "open", tid)
    run_inbox(
        office_home, "case", "declare", tid, "--to", str(handler / "office.pub"),
        "--name", "Kari Nordmann", "--impartial",
    )
    casefile = tmp_path / "sak.vscase"
    run_inbox(
        office_home, "case", "export", tid, "--to", str(handler / "office.pub"),
        "--out", str(casefile), "--yes",
    )
    opened = tmp_path / "apnet"
    result = run_inbox(handler, "open-casefile", str(casefile), "--out", str(opened))
    assert "Traceback" not in result.stderr
    bodies = sorted(p.read_bytes() for p in opened.iterdir() if not p.name.endswith(".pdf"))
    assert bodies == [b"andre", b"forste", b"uten endelse"]
    assert all(len(os.fsencode(p.name)) <= 255 for p in opened.iterdir())


# -- item 6: show --json sanitises like the terminal view ------------------------------------


def test_show_json_carries_no_control_or_bidi_characters(
    office_home: Path, portal: HostilePortal, tmp_path: Path
) -> None:
    key = bytes(PrivateKey.generate().public_key)
    ref, blob = attachment("faktura\u202egpj.exe", b"x", "text/plain\u009b")
    thread = new_thread(key)
    item = portal.item(
        thread.id, report(key, "f\u00f8r\u009b31m midt\u202eslutt\u0007", [ref]), blobs=(blob,)
    )
    assert import_file(office_home, tmp_path, portal.sign([thread], [item])).returncode == 0
    shown = run_inbox(office_home, "show", only_thread(office_home), "--json")
    for bad in ("\u009b", "\u202e", "\u0007", "\\u009b", "\\u202e", "\\u0007"):
        assert bad not in shown.stdout, repr(bad)
    entry = json.loads(shown.stdout)["entries"][0]
    assert entry["answers"]["what_happened"] == "f\u00f8r31m midtslutt"
    assert entry["attachments"][0]["name"] == "fakturagpj.exe"
    assert entry["attachments"][0]["media_type"] == "text/plain"


def test_a_lone_surrogate_is_set_aside_and_show_json_works(
    office_home: Path, portal: HostilePortal, tmp_path: Path
) -> None:
    key = bytes(PrivateKey.generate().public_key)
    thread = new_thread(key)
    good = portal.item(thread.id, report(key, "Et vanlig varsel"))
    bad = portal.item(
        thread.id,
        raw_payload(  # json.dumps writes the lone surrogate as the escape \ud800
            {"attachments": [], "reporter_public_key": b64encode(key), "text": "a\ud800b",
             "type": "message", "v": 1}
        ),
        kind="message",
    )
    result = import_file(office_home, tmp_path, portal.sign([thread], [good, bad]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lone surrogate" in result.stdout and bad.id[:8] in result.stdout
    shown = run_inbox(office_home, "show", only_thread(office_home), "--json")
    view = json.loads(shown.stdout)
    assert [e["answers"]["what_happened"] for e in view["entries"]] == ["Et vanlig varsel"]
    assert [a["id"] for a in view["set_aside"]] == [bad.id]


# -- item 5: numbers, days and counts --------------------------------------------------------


def _refused(result, *words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def _still_works(home: Path, tmp_path: Path, portal: HostilePortal) -> None:
    """After a refused bundle, the inbox lists, imports and exports as before."""
    key = bytes(PrivateKey.generate().public_key)
    thread = new_thread(key)
    item = portal.item(thread.id, report(key, "Neste varsel"))
    data = portal.sign([thread], [item])
    assert import_file(home, tmp_path, data, "neste.bundle").returncode == 0
    assert len(json.loads(run_inbox(home, "list", "--json").stdout)) == 1
    run_inbox(home, "list")
    exported = run_inbox(home, "export-outbound", str(tmp_path / "svar.bundle"))
    assert "Pakke nr. 1 " in exported.stdout, exported.stdout


@pytest.mark.parametrize("where", ["item", "thread", "bundle"])
def test_a_day_far_from_today_is_refused(
    office_home: Path, portal: HostilePortal, tmp_path: Path, where: str
) -> None:
    key = bytes(PrivateKey.generate().public_key)
    far = "9999-12-31"
    thread = new_thread(key, far if where == "thread" else None)
    item = portal.item(thread.id, report(key, "dato"), day=far if where == "item" else None)
    data = portal.sign([thread], [item], created_day=far if where == "bundle" else None)
    _refused(import_file(office_home, tmp_path, data), far)
    _still_works(office_home, tmp_path, portal)


def test_a_day_from_long_ago_is_refused(
    office_home: Path, portal: HostilePortal, tmp_path: Path
) -> None:
    key = bytes(PrivateKey.generate().public_key)
    old = (date.today() - timedelta(days=3700)).isoformat()
    thread = new_thread(key, old)
    data = portal.sign([thread], [portal.item(thread.id, report(key, "gammel"), day=old)])
    _refused(import_file(office_home, tmp_path, data), old)


@pytest.mark.parametrize("sequence", [2**53, 2**63 - 1, 2**63, 10**400])
def test_an_impossible_outbound_sequence_is_refused(
    office_home: Path, portal: HostilePortal, tmp_path: Path, sequence: int
) -> None:
    key = bytes(PrivateKey.generate().public_key)
    thread = new_thread(key)
    data = portal.sign(
        [thread], [portal.item(thread.id, report(key, "nr"))], last_outbound_sequence=sequence
    )
    _refused(import_file(office_home, tmp_path, data))
    _still_works(office_home, tmp_path, portal)


def test_a_sequence_far_ahead_of_the_inbox_is_refused(
    office_home: Path, portal: HostilePortal, tmp_path: Path
) -> None:
    key = bytes(PrivateKey.generate().public_key)
    thread = new_thread(key)
    data = portal.sign(
        [thread], [portal.item(thread.id, report(key, "nr"))], last_outbound_sequence=2**53 - 1
    )
    _refused(import_file(office_home, tmp_path, data), "utgående")
    _still_works(office_home, tmp_path, portal)


def test_twenty_thousand_empty_threads_are_refused(
    office_home: Path, portal: HostilePortal, tmp_path: Path
) -> None:
    key = bytes(PrivateKey.generate().public_key)
    threads = [new_thread(key) for _ in range(20_000)]
    data = portal.sign(threads, [portal.item(threads[0].id, report(key, "ett varsel"))])
    _refused(import_file(office_home, tmp_path, data))
    started = time.monotonic()
    _still_works(office_home, tmp_path, portal)
    assert time.monotonic() - started < 60  # bounded, not timed: list stays usable
