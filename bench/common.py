"""What the bench scripts share: the repository on the import path, a free port, waiting for
a server to answer, running work on several threads at once (and clients' rate), and a
multipart body.

The scripts run as ``.venv/bin/python bench/NAME.py``, so this directory is first on the
import path and ``import common`` finds this module.
"""

import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_up(base: str, process: subprocess.Popen[bytes], name: str = "the server") -> None:
    """Wait (60 s at most) until ``base`` answers an HTTP request, whatever its status."""
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited early")
        try:
            urllib.request.urlopen(base + "/", timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{name} did not start") from None
            time.sleep(0.2)


def in_threads(work: Callable[[int], None], count: int) -> float:
    """Run ``work(0)`` ... ``work(count - 1)`` on ``count`` threads at once; the seconds
    until the last one finished."""
    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - start


class Failed(Exception):
    """A bench client met an answer it did not expect; the run stops (:func:`per_second`)."""


def per_second(client: Callable[[int], int], clients: int, what: str) -> float:
    """Run ``client(0)`` ... ``client(clients - 1)`` on as many threads; each returns how
    many it did. The total per second, or exit naming the first :class:`Failed`."""
    done = [0] * clients
    failed: list[str] = []

    def work(i: int) -> None:
        try:
            done[i] = client(i)
        except Failed as exc:
            failed.append(str(exc))

    seconds_taken = in_threads(work, clients)
    if failed:
        raise SystemExit(f"{what} failed: {failed[0]}")
    return sum(done) / seconds_taken


def multipart(
    fields: Iterable[tuple[str, str]], files: Iterable[tuple[str, str, bytes]] = ()
) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type: the fields, then the files
    (field name, file name, content) as a browser posts them."""
    boundary = "----bench" + uuid.uuid4().hex
    out = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        .encode()
        for name, value in fields
    ]
    for name, filename, data in files:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                   f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                   .encode() + data + b"\r\n")
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"
