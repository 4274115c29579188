"""Portal figures over real HTTP: upload throughput and server memory, receipt login time,
bundle export and inbox import. A script that prints figures, not a test.

    .venv/bin/python bench/portal_bench.py [--upload-mb 150]

Starts ``varsel-portal run`` in a temporary data directory, streams a report with one
large attachment (without JavaScript, as a browser would post it), and reads the server's
peak resident memory (VmHWM) to show that uploads are encrypted as they stream instead of
being buffered.
"""

import argparse
import http.client
import os
import re
import secrets
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

from common import BIN, free_port, wait_up

CHUNK = 1024 * 1024


def peak_rss_mib(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(match.group(1)) / 1024 if match else float("nan")


def multipart_body(
    fields: list[tuple[str, str]], file_name: str, size: int, boundary: str
) -> tuple[Iterator[bytes], int]:
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
        for k, v in fields
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
        f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield head
        block = secrets.token_bytes(CHUNK)
        sent = 0
        while sent < size:
            piece = block[: min(CHUNK, size - sent)]
            sent += len(piece)
            yield piece
        yield tail

    return chunks(), len(head) + size + len(tail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upload-mb", type=int, default=150)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data, home = Path(tmp) / "data", Path(tmp) / "inbox"
        (data / "keys").mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
        env.update(VARSEL_DATA_DIR=str(data), VARSEL_MAX_UPLOAD_MB=str(args.upload_mb + 10))
        inbox_env = dict(env, VARSEL_INBOX_PASSPHRASE="bench passphrase")
        start = time.perf_counter()
        subprocess.run([str(BIN / "varsel-inbox"), "--home", str(home), "init"],
                       env=inbox_env, check=True, capture_output=True)
        print(f"varsel-inbox init (argon2id 256 MiB): {time.perf_counter() - start:.1f} s")
        (data / "keys" / "office.pub").write_text((home / "office.pub").read_text())
        port = free_port()
        server = subprocess.Popen(
            [str(BIN / "varsel-portal"), "run", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(base, server, "varsel-portal run")
            print(f"server idle peak RSS: {peak_rss_mib(server.pid):.0f} MiB")

            jar = CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            html = opener.open(base + "/report").read().decode()
            token = re.search(r'name="csrf_token" value="([^"]+)"', html)
            assert token
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            fields = [
                ("csrf_token", token.group(1)),
                ("what_happened", "Benchmark report."),
                ("understood", "y"),
            ]
            boundary = "bench" + secrets.token_hex(8)
            body, length = multipart_body(fields, "big.bin", args.upload_mb * CHUNK, boundary)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            start = time.perf_counter()
            conn.putrequest("POST", "/report")
            conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
            conn.putheader("Content-Length", str(length))
            conn.putheader("Cookie", cookie)
            conn.endheaders()
            for piece in body:
                conn.send(piece)
            response = conn.getresponse()
            page = response.read().decode()
            elapsed = time.perf_counter() - start
            words = re.findall(r'<span class="w">([a-z]+)</span>', page)
            print(
                f"report with a {args.upload_mb} MiB file: HTTP {response.status}, "
                f"{elapsed:.1f} s, {args.upload_mb / elapsed:.0f} MiB/s; "
                f"server peak RSS {peak_rss_mib(server.pid):.0f} MiB"
            )
            if len(words) != 8:
                print("  (no receipt on the page: check the form fields; status above)")
                return
            blobs = list((data / "blobs").iterdir())
            print(f"  stored ciphertext: {sum(p.stat().st_size for p in blobs) / CHUNK:.1f} MiB")

            login = opener.open(base + "/follow-up").read().decode()
            token = re.search(r'name="csrf_token" value="([^"]+)"', login)
            assert token
            form = urllib.parse.urlencode(
                {"csrf_token": token.group(1), "receipt": " ".join(words)}
            ).encode()
            start = time.perf_counter()
            opener.open(base + "/follow-up", data=form).read()
            print(f"receipt login (argon2id 64 MiB + decrypting the thread): "
                  f"{(time.perf_counter() - start) * 1000:.0f} ms")

            bundle = Path(tmp) / "inn.bundle"
            start = time.perf_counter()
            subprocess.run(
                [str(BIN / "varsel-portal"), "export-inbound", str(bundle)],
                env=env, check=True, capture_output=True,
            )
            print(f"export-inbound ({bundle.stat().st_size / CHUNK:.0f} MiB bundle): "
                  f"{time.perf_counter() - start:.1f} s")

            start = time.perf_counter()
            subprocess.run(
                [str(BIN / "varsel-inbox"), "--home", str(home), "import", str(bundle)],
                env=inbox_env, check=True, capture_output=True,
            )
            print(f"varsel-inbox import (unlock, verify, decrypt, store): "
                  f"{time.perf_counter() - start:.1f} s")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
