"""The browser path's public parameters (docs/PROTOCOL.md, "Receipt" and "Browser path")."""

import base64
import hashlib
import io
import sqlite3
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from tests_api_kit import csrf

from crypto import envelope, stream
from crypto.encoding import b64encode
from crypto.keys import SecretIdentity
from crypto.payload import AttachmentRef, OwnCopy, Report, encode_payload
from crypto.receipt import login_hash
from crypto.wordlist import WORDS
from portal.services import services


def test_parameters_carry_the_public_salt_and_the_office_key_but_not_the_pepper(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity
) -> None:
    response = client.get("/api/v1/parameters")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    secrets = services(app).secrets
    assert base64.b64decode(data["receipt_salt"]) == secrets.receipt_salt
    assert base64.b64decode(data["office"]) == office_identity.public.encryption_key
    assert data["committee"] == []
    body = response.get_data()
    for secret in (secrets.login_pepper, secrets.secret_key):
        assert base64.b64encode(secret) not in body and secret.hex().encode() not in body


def test_parameters_say_when_no_office_key_is_configured(make_app: object) -> None:
    app = make_app(office_key=False)  # type: ignore[operator]
    assert app.test_client().get("/api/v1/parameters").get_json()["office"] is None


def test_the_word_list_is_served_byte_for_byte_with_the_documented_hash(
    client: FlaskClient,
) -> None:
    response = client.get("/api/v1/wordlist.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    digest = hashlib.sha256(response.get_data()).hexdigest()
    assert digest == client.get("/api/v1/parameters").get_json()["wordlist_sha256"]
    assert response.get_data().decode().split("\n")[:-1] == list(WORDS)


# -- what the portal accepts from a browser, and what it refuses ------------------------------

def _sealed_report(office_pk: bytes, reporter: SecretIdentity, blob_id: str, file: bytes,
                   key: bytes) -> dict[str, object]:
    ref = AttachmentRef("a.txt", len(file), "text/plain", key, blob_id)
    pk = reporter.public.encryption_key
    return {
        "envelope": envelope.seal(encode_payload(Report({"what_happened": "x"}, pk, (ref,))),
                                  [office_pk]),
        "own_copy": envelope.seal(encode_payload(OwnCopy("x", ("a.txt",))), [pk]),
        "stream": b"".join(stream.encrypt_stream(key, [file])),
    }


def _post(client: FlaskClient, token: str, login_key: bytes | None, parts: dict[str, object],
          blob_id: str, path: str = "/api/v1/report", extra: dict[str, object] | None = None,
          public_key: bytes = bytes(range(32))) -> tuple[int, dict[str, object]]:
    data: dict[str, object] = {"csrf_token": token, "reporter_public_key": b64encode(public_key)}
    if login_key is not None:
        data["login_key"] = b64encode(login_key)
    data["envelope"] = (io.BytesIO(parts["envelope"]), "envelope.vse")  # type: ignore[arg-type]
    data["own_copy"] = (io.BytesIO(parts["own_copy"]), "own_copy.vse")  # type: ignore[arg-type]
    data["attachments"] = [(io.BytesIO(parts["stream"]), blob_id)]  # type: ignore[arg-type]
    data.update(extra or {})
    response = client.post(path, data=data, content_type="multipart/form-data")
    return response.status_code, response.get_json()


def _stored(app: Flask) -> tuple[list[tuple[object, ...]], list[str]]:
    settings = services(app).settings
    with sqlite3.connect(settings.data_dir / "varsel.sqlite3") as db:
        rows = db.execute("SELECT id FROM threads").fetchall() + db.execute(
            "SELECT id FROM submissions").fetchall() + db.execute(
            "SELECT id FROM attachments").fetchall()
    blobs = sorted(p.name for p in Path(settings.blobs_dir).iterdir())
    return rows, blobs


def test_a_sealed_report_is_stored_as_sent(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity
) -> None:
    reporter = SecretIdentity.generate()
    parts = _sealed_report(office_identity.public.encryption_key, reporter, "blob-aaaa0001",
                           b"canary file", stream.new_key())
    login_key = bytes(range(1, 33))
    status, body = _post(client, csrf(client, "/report"), login_key, parts, "blob-aaaa0001",
                         public_key=reporter.public.encryption_key)
    assert (status, body) == (200, {"ok": True})
    settings = services(app).settings
    assert (Path(settings.blobs_dir) / "blob-aaaa0001").read_bytes() == parts["stream"]
    with sqlite3.connect(settings.data_dir / "varsel.sqlite3") as db:
        (hashed, pk), = db.execute("SELECT login_hash, reporter_public_key FROM threads")
        (office_env, own), = db.execute("SELECT office_envelope, own_copy FROM submissions")
    assert hashed == login_hash(login_key, services(app).secrets.login_pepper)
    assert pk == reporter.public.encryption_key
    assert (office_env, own) == (parts["envelope"], parts["own_copy"])
    # The same login key again (a replayed request) is refused and stores nothing more.
    again = _sealed_report(office_identity.public.encryption_key, reporter, "blob-bbbb0002",
                           b"x", stream.new_key())
    status, _ = _post(client, csrf(client, "/report"), login_key, again, "blob-bbbb0002")
    assert status == 400
    assert _stored(app)[1] == ["blob-aaaa0001"]


def _forgeries(office_pk: bytes) -> dict[str, tuple[dict[str, object], dict[str, object]]]:
    reporter, other = SecretIdentity.generate(), SecretIdentity.generate()
    key = stream.new_key()
    good = _sealed_report(office_pk, reporter, "blob-forged001", b"canary", key)
    other_pk = other.public.encryption_key
    unpadded = envelope.seal(b"x", [office_pk])[:-7]
    return {
        "envelope to other keys": (
            {**good, "envelope": envelope.seal(b"x", [office_pk, other_pk])}, {}
        ),
        "own copy to two keys": (
            {**good, "own_copy": envelope.seal(b"x", [other_pk, other_pk])}, {}
        ),
        "unpadded envelope": ({**good, "envelope": unpadded}, {}),
        "not an envelope": ({**good, "envelope": b"VSE2" + good["envelope"][4:]}, {}),  # type: ignore[index]
        "truncated stream": ({**good, "stream": good["stream"][:-1]}, {}),  # type: ignore[index]
        "unpadded stream": ({**good, "stream": good["stream"] + bytes(17)}, {}),  # type: ignore[operator]
        "stream without magic": ({**good, "stream": b"XXXX" + good["stream"][4:]}, {}),  # type: ignore[index]
        "short stream": ({**good, "stream": b"VSS"}, {}),
        "missing login key": (good, {"login_key": None}),
        "non-canonical login key": (good, {"login_key": "A" * 42 + "B="}),
        "short public key": (good, {"reporter_public_key": b64encode(bytes(31))}),
        "a part under another name": (good, {"extra": (io.BytesIO(b"x"), "blob-extra0001")}),
        "honeypot filled": (good, {"website": "http://spam"}),
    }


FORGERIES = list(_forgeries(SecretIdentity.generate().public.encryption_key))


@pytest.mark.parametrize("name", FORGERIES)
def test_forged_input_is_refused_and_leaves_nothing(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity, name: str
) -> None:
    parts, extra = _forgeries(office_identity.public.encryption_key)[name]
    login_key: bytes | None = bytes(range(2, 34))
    if "login_key" in extra:
        value = extra.pop("login_key")
        if value is None:
            login_key = None
        else:
            extra["login_key"] = value
    status, body = _post(client, csrf(client, "/report"), login_key, parts, "blob-forged001",
                         extra=extra)
    assert status == 400, body
    assert isinstance(body.get("error"), str) and body["error"]
    assert _stored(app) == ([], [])


def test_a_report_to_the_committee_needs_one_stanza_per_recipient(
    make_app: object, office_identity: SecretIdentity, tmp_path: Path
) -> None:
    app = make_app()  # type: ignore[operator]
    committee = SecretIdentity.generate()
    keys = services(app).settings.keys_dir / "committee"
    keys.mkdir(parents=True, exist_ok=True)
    (keys / "utvalg.pub").write_text(committee.public.to_text())
    client = app.test_client()
    office_pk = office_identity.public.encryption_key
    parts = _sealed_report(office_pk, SecretIdentity.generate(), "blob-comm0001", b"x",
                           stream.new_key())
    chosen = {"send_to_committee": "y"}
    status, _ = _post(client, csrf(client, "/report"), bytes(range(3, 35)), parts,
                      "blob-comm0001", extra=chosen)
    assert status == 400 and _stored(app) == ([], [])
    parts["envelope"] = envelope.seal(b"x", [office_pk, committee.public.encryption_key])
    status, _ = _post(client, csrf(client, "/report"), bytes(range(3, 35)), parts,
                      "blob-comm0001", extra=chosen)
    assert status == 200


def test_thread_and_message_need_the_login_key_of_a_thread(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity
) -> None:
    reporter = SecretIdentity.generate()
    office_pk = office_identity.public.encryption_key
    parts = _sealed_report(office_pk, reporter, "blob-thrd0001", b"x", stream.new_key())
    login_key = bytes(range(4, 36))
    assert _post(client, csrf(client, "/report"), login_key, parts, "blob-thrd0001")[0] == 200
    token = csrf(client, "/follow-up")
    wrong = client.post("/api/v1/thread", data={"csrf_token": token,
                                                "login_key": b64encode(bytes(32))})
    assert wrong.status_code == 400 and wrong.get_json()["error"]
    right = client.post("/api/v1/thread", data={"csrf_token": token,
                                                "login_key": b64encode(login_key)})
    items = right.get_json()["items"]
    assert [(i["who"], i["kind"]) for i in items] == [("me", "report")]
    assert base64.b64decode(items[0]["envelope"]) == parts["own_copy"]
    message = _sealed_report(office_pk, reporter, "blob-thrd0002", b"y", stream.new_key())
    status, _ = _post(client, token, bytes(32), message, "blob-thrd0002", path="/api/v1/message")
    assert status == 400 and "blob-thrd0002" not in _stored(app)[1]
    status, _ = _post(client, token, login_key, message, "blob-thrd0002", path="/api/v1/message")
    assert status == 200 and "blob-thrd0002" in _stored(app)[1]


def test_without_the_csrf_token_nothing_is_taken(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity
) -> None:
    parts = _sealed_report(office_identity.public.encryption_key, SecretIdentity.generate(),
                           "blob-csrf0001", b"x", stream.new_key())
    status, body = _post(client, "not-a-token", bytes(range(5, 37)), parts, "blob-csrf0001")
    assert status == 400 and body["error"]
    assert _stored(app) == ([], [])
