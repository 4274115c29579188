"""No-JavaScript submit throughput against the argon2id ceiling, in one run.

    .venv/bin/python bench/submit_bench.py [--seconds 20] [--clients 8] [--rounds 2]

Anchor (the ceiling): receipt derivations per second (crypto.receipt.derive_receipt_keys,
argon2id 64 MiB) when ``VARSEL_ARGON2_CONCURRENCY`` threads (the configured concurrency,
default 2) derive back to back in one process on this machine: no server can take more
reports than that, since every report derives one receipt.

Measured: reports per second that gunicorn, run as the Dockerfile runs it
(``--config python:portal.gunicorn_conf``), accepts from ``--clients`` clients posting the
report form as a browser without JavaScript does (multipart, an empty file input) and
then reading the receipt page it is sent to. Rate limits are lifted for the run. Rounds
are interleaved (anchor, portal, ...); medians are printed with the ratio measured /
anchor (target: at least 0.8). A script that prints figures, not a test.
"""

import argparse
import os
import re
import secrets
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from common import BIN, ROOT, Failed, free_port, multipart, per_second, wait_up

from crypto.keys import SecretIdentity
from crypto.receipt import derive_receipt_keys, generate_receipt
from portal.config import Settings

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def ceiling(seconds: float, concurrency: int) -> float:
    """Receipt derivations per second with ``concurrency`` threads deriving at once."""
    salt = secrets.token_bytes(16)
    stop = time.monotonic() + seconds

    def work(_: int) -> int:
        done = 0
        while time.monotonic() < stop:
            derive_receipt_keys(generate_receipt(), salt)
            done += 1
        return done

    return per_second(work, concurrency, "a derivation")


def report_body(token: str) -> tuple[bytes, str]:
    """The report form as a browser without JavaScript posts it."""
    fields = [("csrf_token", token), ("pow", ""), ("website", ""),
              ("what_happened", "Det skjedde på årsmøtet. " * 20), ("when", "i vår"),
              ("understood", "y")]
    return multipart(fields, [("attachments", "", b"")])  # no file chosen


def submit_rate(base: str, seconds: float, clients: int) -> float:
    """Reports per second, each ending with its receipt page, from ``clients`` clients."""
    stop = time.monotonic() + seconds

    def client(_: int) -> int:
        done = 0
        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        found = TOKEN.search(opener.open(base + "/report", timeout=60).read().decode())
        assert found, "the form carries a CSRF token"
        body, ctype = report_body(found.group(1))
        while time.monotonic() < stop:
            request = urllib.request.Request(base + "/report", data=body,
                                             headers={"Content-Type": ctype})
            try:
                with opener.open(request, timeout=120) as response:
                    page = response.read().decode()
            except urllib.error.HTTPError as exc:
                if exc.code == 503:  # busy: every slot taken and the queue full; retry
                    continue
                raise Failed(f"HTTP {exc.code}") from exc
            if page.count('<span class="w">') != 8:
                raise Failed("no receipt on the page")
            done += 1
        return done

    return per_second(client, clients, "a report")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    concurrency = Settings.from_env().argon2_concurrency

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        (data / "keys").mkdir(parents=True)
        (data / "keys" / "office.pub").write_text(SecretIdentity.generate().public.to_text())
        env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
        env.update(VARSEL_DATA_DIR=str(data), VARSEL_GLOBAL_SUBMISSIONS="1000000",
                   VARSEL_CLIENT_SUBMISSIONS="1000000",
                   VARSEL_ARGON2_CONCURRENCY=str(concurrency))
        port = free_port()
        portal = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "python:portal.gunicorn_conf",
             "--bind", f"127.0.0.1:{port}", "portal:create_app()"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(base, portal, "gunicorn")
            anchors, rates = [], []
            for _ in range(args.rounds):
                anchors.append(ceiling(args.seconds, concurrency))
                rates.append(submit_rate(base, args.seconds, args.clients))
        finally:
            portal.terminate()
            portal.wait(timeout=30)
    anchor, rate = statistics.median(anchors), statistics.median(rates)
    print(f"no-JavaScript submit, {args.clients} clients, median of {args.rounds} "
          f"interleaved rounds of {args.seconds:.0f} s")
    print(f"  anchor: argon2id ceiling, {concurrency} derivations at once: {anchor:6.2f} /s")
    print(f"  gunicorn (Dockerfile), report + receipt page:    {rate:6.2f} /s"
          f"   ratio {rate / anchor:.2f} (target >= 0.8)")


if __name__ == "__main__":
    main()
