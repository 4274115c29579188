"""Upload throughput without JavaScript against the physical limit here, in one run.

    .venv/bin/python bench/upload_bench.py [--mb 150] [--rounds 3]

Anchor (the physical limit): in this process, with no HTTP, encrypt ``--mb`` MiB with
secretstream (crypto.stream.StreamEncryptor, padding included) and write it with the
portal's own blob writer and fsync policy (portal.store.BlobWriter: written, fsynced,
renamed) to the same disk the portals write to.

Measured: a follow-up message with one file of the same size posted to

- gunicorn as the Dockerfile runs it (``--config python:portal.gunicorn_conf``), and
- ``varsel-portal run`` (the development server the tests use),

from the first byte sent to the answer (the file is encrypted and fsynced by then). The
message path is used because it derives no argon2id key (the reporter logged in before),
so the figure is the upload alone. Rounds are interleaved; medians are printed with the
ratio measured / anchor (target: at least 0.8). A script that prints figures, not a test.
"""

import argparse
import http.client
import os
import re
import secrets
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

from common import BIN, ROOT, free_port, wait_up

from crypto.keys import SecretIdentity
from crypto.stream import StreamEncryptor, new_key
from portal.store import BlobStore

MIB = 1024 * 1024
TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
WORD = re.compile(r'<span class="w">([a-z]+)</span>')


def anchor(directory: Path, size: int, block: bytes) -> float:
    """Seconds to encrypt ``size`` bytes and write them as the portal writes a blob."""
    store = BlobStore(directory)
    blob_id = "anchor" + secrets.token_hex(8)
    start = time.perf_counter()
    writer = store.create(blob_id)
    encryptor = StreamEncryptor(new_key())
    sent = 0
    while sent < size:
        piece = block[: min(len(block), size - sent)]
        sent += len(piece)
        out = encryptor.update(piece)
        if out:
            writer.write(out)
    for piece in encryptor.finish():
        writer.write(piece)
    writer.commit()
    elapsed = time.perf_counter() - start
    store.path(blob_id).unlink()
    return elapsed


class Portal:
    """A running portal with a logged-in reporter session."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(command, env=env, cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_up(self.base, self.process, name)
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        token = self._token(opener.open(self.base + "/report").read().decode())
        data = urllib.parse.urlencode({"csrf_token": token, "what_happened": "Benchmark.",
                                       "understood": "y"}).encode()
        page = opener.open(self.base + "/report", data=data).read().decode()
        words = WORD.findall(page)
        assert len(words) == 8, "the report was accepted and its receipt shown"
        token = self._token(opener.open(self.base + "/follow-up").read().decode())
        data = urllib.parse.urlencode({"csrf_token": token, "receipt": " ".join(words)}).encode()
        thread = opener.open(self.base + "/follow-up", data=data).read().decode()
        self.token = self._token(thread)
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in jar)

    @staticmethod
    def _token(html: str) -> str:
        found = TOKEN.search(html)
        assert found, "the page carries a CSRF token"
        return found.group(1)

    def upload(self, size: int, block: bytes) -> float:
        """Seconds to post a message with one ``size``-byte file, to the server's answer."""
        boundary = "bench" + secrets.token_hex(8)
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{self.token}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="text"\r\n\r\n'
            "Benchmark file.\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body() -> Iterator[bytes]:
            yield head
            sent = 0
            while sent < size:
                piece = block[: min(len(block), size - sent)]
                sent += len(piece)
                yield piece
            yield tail

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        start = time.perf_counter()
        conn.putrequest("POST", "/thread")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + size + len(tail)))
        conn.putheader("Cookie", self.cookie)
        conn.endheaders()
        for piece in body():
            conn.send(piece)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - start
        conn.close()
        if response.status != 303:
            raise SystemExit(f"{self.name}: the upload was answered {response.status}")
        return elapsed

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    size = args.mb * MIB
    block = secrets.token_bytes(MIB)

    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        data = Path(tmp) / "data"
        (data / "keys").mkdir(parents=True)
        (data / "keys" / "office.pub").write_text(SecretIdentity.generate().public.to_text())
        env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
        env.update(VARSEL_DATA_DIR=str(data), VARSEL_MAX_UPLOAD_MB=str(args.mb * 2 + 10),
                   VARSEL_GLOBAL_SUBMISSIONS="100000", VARSEL_CLIENT_SUBMISSIONS="100000")
        subprocess.run([str(BIN / "varsel-portal"), "show-config"], env=env, check=True,
                       capture_output=True)  # migrate once, before several workers start
        anchor_dir = data / "anchor"
        anchor_dir.mkdir()
        g_port, r_port = free_port(), free_port()
        portals = [
            Portal("gunicorn (Dockerfile)",
                   [str(BIN / "gunicorn"), "--config", "python:portal.gunicorn_conf",
                    "--bind", f"127.0.0.1:{g_port}", "portal:create_app()"], env, g_port),
            Portal("varsel-portal run",
                   [str(BIN / "varsel-portal"), "run", "--port", str(r_port)], env, r_port),
        ]
        times: dict[str, list[float]] = {"anchor": []} | {p.name: [] for p in portals}
        try:
            for _ in range(args.rounds):
                times["anchor"].append(anchor(anchor_dir, size, block))
                for portal in portals:
                    times[portal.name].append(portal.upload(size, block))
        finally:
            for portal in portals:
                portal.stop()
    rate = {name: args.mb / statistics.median(values) for name, values in times.items()}
    print(f"upload of one {args.mb} MiB file, median of {args.rounds} interleaved rounds")
    print(f"  anchor: secretstream + blob write + fsync, one process: {rate['anchor']:7.1f} MiB/s")
    for portal in portals:
        print(f"  {portal.name + ':':52s}  {rate[portal.name]:7.1f} MiB/s"
              f"   ratio {rate[portal.name] / rate['anchor']:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
