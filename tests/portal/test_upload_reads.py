"""The upload body is read in large pieces (portal/upload.py, docs/PERFORMANCE.md
"Uploads"), and everything else about uploads holds as before: files arrive whole and
encrypted, text fields around them intact, the memory bounds enforced."""

import io
import os

from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import csrf_token
from sqlalchemy import select
from test_reporter_flow import office_open

from crypto.keys import SecretIdentity
from crypto.payload import Report
from crypto.stream import decrypt_stream
from portal.models import Submission
from portal.services import services
from portal.store import BlobStore
from portal.upload import FORM_MEMORY_BYTES, PARSE_SIZE, READ_SIZE

BOUNDARY = "----readtest7d9c"


class RecordingInput(io.BytesIO):
    """``wsgi.input`` that remembers the size of every read asked of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.sizes: list[int] = []

    def read(self, size: int | None = -1) -> bytes:
        self.sizes.append(-1 if size is None else size)
        return super().read(size)

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        self.sizes.append(len(buffer))
        return super().readinto(buffer)


def multipart(fields: list[tuple[str, str]], files: list[tuple[str, bytes]]) -> bytes:
    out = b""
    for name, value in fields[:2]:
        out += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n").encode()
    for filename, body in files:
        out += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; '
                f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                ).encode() + body + b"\r\n"
    for name, value in fields[2:]:  # text after the files: parsed after the last piece
        out += (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                f"{value}\r\n").encode()
    return out + f"--{BOUNDARY}--\r\n".encode()


def post(client: FlaskClient, body: bytes) -> tuple[int, RecordingInput]:
    stream = RecordingInput(body)
    response = client.post(
        "/report", input_stream=stream, content_length=len(body),
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
    )
    return response.status_code, stream


def test_large_reads_and_whole_encrypted_files(
    app: Flask, client: FlaskClient, office_identity: SecretIdentity
) -> None:
    token = csrf_token(client.get("/report").text)
    # Sizes that put part boundaries across the pieces the decoder is fed and across reads.
    first = os.urandom(READ_SIZE + PARSE_SIZE - 3)
    second = b"\r\n--" + os.urandom(2 * READ_SIZE + 17) + b"\r"
    body = multipart(
        [("csrf_token", token), ("what_happened", "Noe skjedde."), ("understood", "y"),
         ("when", "etter filene")],
        [("first.bin", first), ("second.bin", second)],
    )
    status, stream = post(client, body)
    assert status == 303
    # Every read but the last (short, at the end of the body) asks for READ_SIZE bytes.
    assert stream.sizes[:-1] and set(stream.sizes[:-1]) == {READ_SIZE}, stream.sizes

    with services(app).sessions() as db:
        submission = db.scalars(select(Submission)).one()
    report = office_open(submission.office_envelope, office_identity)
    assert isinstance(report, Report)
    assert report.answers["when"] == "etter filene"
    store = BlobStore(services(app).settings.blobs_dir)
    for ref, plain in zip(report.attachments, (first, second), strict=True):
        stored = store.read(ref.blob)
        assert plain[:64] not in stored
        assert b"".join(decrypt_stream(ref.key, ref.size, store.iter_chunks(ref.blob))) == plain


def test_the_memory_bounds_still_hold(app: Flask, client: FlaskClient) -> None:
    token = csrf_token(client.get("/report").text)
    too_long = "a" * (FORM_MEMORY_BYTES + 1)
    status, _ = post(client, multipart(
        [("csrf_token", token), ("what_happened", too_long), ("understood", "y")], []))
    assert status == 413
    # A file part's headers that never end are refused once they pass the bound.
    endless = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="x"\r\nX-Pad: '
               ).encode() + b"p" * (2 * READ_SIZE)
    status, _ = post(client, endless)
    assert status == 413
    assert list(BlobStore(services(app).settings.blobs_dir).committed()) == []
