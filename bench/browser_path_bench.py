"""Browser path figures: small-report submit throughput against a bare Flask POST endpoint
under the same gunicorn settings, measured side by side in one run; the server path for
reference; and, in a real Chromium, the time to derive the receipt keys and to encrypt a
100 MB file. A script that prints figures, not a test.

    .venv/bin/python bench/browser_path_bench.py [--seconds 10] [--clients 8] [--file-mb 100]

With JavaScript on the server does no argon2id: it checks shapes and stores ciphertext, so
its throughput is compared with a bare endpoint that reads the same multipart body and
answers JSON (ratio = portal / bare; the target is at least 0.5). To show what stands in
the way, one report's time is then split, in one thread with no HTTP, into the blob's
fsync, the SQLite commit (its fsync) and the rest (docs/PERFORMANCE.md, "Submit
throughput"). ``--no-browser`` leaves out the Chromium figures.
"""

import argparse
import http.client
import os
import re
import statistics
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.request
import uuid
from http.cookiejar import CookieJar
from pathlib import Path

from common import BIN, ROOT, Failed, free_port, multipart, per_second, wait_up

from crypto import envelope, stream
from crypto.encoding import b64encode
from crypto.keys import SecretIdentity
from crypto.payload import AttachmentRef, OwnCopy, Report, encode_payload

ROUNDS = 3
GUNICORN = ["--workers", "2", "--threads", "4", "--timeout", "300"]  # the Dockerfile's

BARE_APP = textwrap.dedent('''
    from flask import Flask, jsonify, request
    app = Flask(__name__)

    @app.post("/api/v1/report")
    def report():
        parts = [f.read() for f in request.files.getlist("attachments")]
        env = request.files["envelope"].read()
        return jsonify({"ok": bool(env) and len(parts) >= 0})
''')


def sealed_report(office_pk: bytes, token: str) -> tuple[bytes, str]:
    """One small report as the browser seals it: one 2 kB file."""
    reporter = SecretIdentity.generate().public.encryption_key
    key, blob = stream.new_key(), "b" + uuid.uuid4().hex[:21]
    ref = AttachmentRef("notat.txt", 2000, "text/plain", key, blob)
    report = Report({"what_happened": "Det skjedde på årsmøtet. " * 20}, reporter, (ref,))
    return multipart(
        [("csrf_token", token), ("login_key", b64encode(os.urandom(32))),
         ("reporter_public_key", b64encode(reporter))],
        [("envelope", "envelope.vse", envelope.seal(encode_payload(report), [office_pk])),
         ("own_copy", "own_copy.vse",
          envelope.seal(encode_payload(OwnCopy("x", ("notat.txt",))), [reporter])),
         ("attachments", blob, b"".join(stream.encrypt_stream(key, [bytes(2000)])))],
    )


def hammer(port: int, bodies: list[tuple[bytes, str]], cookie: str, seconds: float,
           clients: int) -> float:
    """Reports per second with ``clients`` keep-alive connections for ``seconds`` (or until
    every body has been sent once: a report is accepted only once)."""
    stop = time.monotonic() + seconds
    counter = iter(range(len(bodies)))
    lock = threading.Lock()

    def client(_: int) -> int:
        done = 0
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while time.monotonic() < stop:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            body, ctype = bodies[n]
            conn.request("POST", "/api/v1/report", body=body,
                         headers={"Content-Type": ctype, "Cookie": cookie})
            response = conn.getresponse()
            answer = response.read()
            if response.status != 200:
                raise Failed(answer[:200].decode(errors="replace"))
            done += 1
        return done

    return per_second(client, clients, "a request")


def split_one_report(office: SecretIdentity, reports: int = 300) -> tuple[float, float, float]:
    """Milliseconds per report in one thread through the Flask test client: blob fsync,
    database commit, everything else."""
    import sqlalchemy.orm

    from portal import create_app
    from portal.config import Settings

    spent = {"fsync": 0.0, "commit": 0.0}
    real_fsync, real_commit = os.fsync, sqlalchemy.orm.Session.commit

    def fsync(fd: int) -> None:
        start = time.perf_counter()
        real_fsync(fd)
        spent["fsync"] += time.perf_counter() - start

    def commit(session: sqlalchemy.orm.Session) -> None:
        start = time.perf_counter()
        real_commit(session)
        spent["commit"] += time.perf_counter() - start

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        (data / "keys").mkdir()
        (data / "keys" / "office.pub").write_text(office.public.to_text())
        app = create_app(Settings(data_dir=data, database_url=f"sqlite:///{data}/v.sqlite3",
                                  client_submissions=10**9, global_submissions=10**9))
        client = app.test_client()
        found = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/report").text)
        assert found, "the report page has a CSRF token"
        bodies = [sealed_report(office.public.encryption_key, found.group(1))
                  for _ in range(reports + 20)]
        os.fsync = fsync  # type: ignore[assignment]
        sqlalchemy.orm.Session.commit = commit  # type: ignore[method-assign]
        try:
            for n, (body, ctype) in enumerate(bodies):
                if n == 20:  # warmed up
                    spent.update(fsync=0.0, commit=0.0)
                    start = time.perf_counter()
                response = client.post("/api/v1/report", data=body, content_type=ctype)
                assert response.status_code == 200, response.data
            total = (time.perf_counter() - start) / reports * 1000
        finally:
            os.fsync = real_fsync
            sqlalchemy.orm.Session.commit = real_commit  # type: ignore[method-assign]
    fsync_ms = spent["fsync"] / reports * 1000
    commit_ms = spent["commit"] / reports * 1000
    return fsync_ms, commit_ms, total - fsync_ms - commit_ms


def browser_figures(url: str, file_mb: int) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium",
                                     args=["--no-sandbox", "--disable-gpu"])
        page = chromium.new_page()
        page.goto(url + "/follow-up")
        figures = page.evaluate("""async (mb) => {
            const form = document.querySelector("form.login");
            const params = await (await fetch(form.dataset.parameters)).json();
            params.wordlist_url = form.dataset.wordlist;
            const run = (job) => new Promise((resolve, reject) => {
                const w = new Worker(form.dataset.worker);
                w.onmessage = (e) => { if (e.data.type === "progress") return;
                    w.terminate(); e.data.type === "result" ? resolve(e.data.result)
                                                           : reject(e.data.error); };
                w.postMessage(job);
            });
            const words = (await (await fetch(params.wordlist_url)).text()).split("\\n");
            const receipt = words.slice(0, 8).join(" ");
            await run({job: "logIn", params, receipt});  // warm: wasm compiled, list read
            let t = performance.now();
            const keys = await run({job: "logIn", params, receipt});
            const derive = performance.now() - t;
            const file = new File([new Uint8Array(mb * 1024 * 1024)], "stor.bin");
            t = performance.now();
            await run({job: "sealMessage", params, public_key: keys.public_key, text: "x",
                       files: [file], toCommittee: false});
            return [derive, performance.now() - t];
        }""", file_mb)
        chromium.close()
    return figures[0] / 1000, figures[1] / 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--file-mb", type=int, default=100)
    parser.add_argument("--reports", type=int, default=6000, help="distinct sealed reports")
    parser.add_argument("--no-browser", action="store_true", help="only the throughput")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        office = SecretIdentity.generate()
        (data / "keys").mkdir(parents=True)
        (data / "keys" / "office.pub").write_text(office.public.to_text())
        env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
        env.update(VARSEL_DATA_DIR=str(data), VARSEL_CLIENT_SUBMISSIONS="100000000",
                   VARSEL_GLOBAL_SUBMISSIONS="100000000")
        (Path(tmp) / "bare_app.py").write_text(BARE_APP)
        portal_port, bare_port = free_port(), free_port()
        # Migrate and create the instance secrets once, before several workers start.
        subprocess.run([str(BIN / "varsel-portal"), "show-config"], env=env, check=True,
                       capture_output=True)
        portal = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "python:portal.gunicorn_conf", *GUNICORN,
             "--bind", f"127.0.0.1:{portal_port}", "portal:create_app()"],
            env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        bare = subprocess.Popen(
            [str(BIN / "gunicorn"), *GUNICORN, "--bind", f"127.0.0.1:{bare_port}",
             "bare_app:app"], cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{portal_port}"
            wait_up(base, portal, "the portal")
            wait_up(f"http://127.0.0.1:{bare_port}", bare, "the bare endpoint")
            jar = CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            html = opener.open(base + "/report").read().decode()
            found = re.search(r'name="csrf_token" value="([^"]+)"', html)
            assert found, "the report page has a CSRF token"
            token = found.group(1)
            cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
            bodies = [sealed_report(office.public.encryption_key, token)
                      for _ in range(args.reports)]
            # Interleaved rounds (bare, portal, bare, ...): the machine's load moves.
            bare_rates, portal_rates = [], []
            share = len(bodies) // ROUNDS
            for n in range(ROUNDS):
                mine = bodies[n * share:(n + 1) * share]
                bare_rates.append(hammer(bare_port, mine, cookie, args.seconds / ROUNDS,
                                         args.clients))
                portal_rates.append(hammer(portal_port, mine, cookie, args.seconds / ROUNDS,
                                           args.clients))
            bare_rate = statistics.median(bare_rates)
            portal_rate = statistics.median(portal_rates)
            print(f"small report, JS path:   {portal_rate:8.1f} reports/s")
            print(f"bare Flask POST:         {bare_rate:8.1f} requests/s")
            print(f"ratio (target >= 0.5):   {portal_rate / bare_rate:8.2f}")
            fsync_ms, commit_ms, rest_ms = split_one_report(office)
            print(f"one report, one thread, no HTTP: blob fsync {fsync_ms:.1f} ms, "
                  f"SQLite commit {commit_ms:.1f} ms, the rest {rest_ms:.1f} ms; "
                  f"bare endpoint: {2000 / bare_rate:.1f} ms of CPU a request (2 cores)")
            if args.no_browser:
                return
            derive, encrypt = browser_figures(base, args.file_mb)
            print(f"browser: receipt keys (argon2id 64 MiB): {derive:6.2f} s")
            print(f"browser: encrypt a {args.file_mb} MB file:          {encrypt:6.2f} s "
                  f"({args.file_mb / encrypt:.0f} MB/s)")
        finally:
            for proc in (portal, bare):
                proc.terminate()
                proc.wait(timeout=20)


if __name__ == "__main__":
    main()
