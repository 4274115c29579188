"""The browser path in a real Chromium with JavaScript on (docs/PROTOCOL.md, "Browser path").

The reporter sends a report with two files (one of 20 MB); every request body the page sends
is captured and holds neither a canary nor the receipt; the real ``varsel-inbox`` imports
it, shows the exact text and file bytes, and replies; the reporter reads the reply in the
browser and answers, then reads the thread again with JavaScript off (the server path). No
CSP violation is logged, every request is same-origin, and axe-core finds nothing.
"""

import hashlib
import json
import os
import urllib.request
from base64 import b64decode, b64encode, urlsafe_b64encode
from pathlib import Path
from urllib.parse import quote

import pytest
from chromium import axe_violations
from conftest import LiveServer
from playwright.sync_api import Browser, ConsoleMessage, Page, Request
from recording_proxy import RecordingProxy
from test_full_loop import (  # noqa: F401 (fixtures)
    Office,
    _files_containing,
    _reporter_thread,
    office,
)

from crypto.receipt import derive_receipt_keys

pytestmark = pytest.mark.browser

REPORT_CANARY = "KANARI-rapport-7f3a: han tok meg på låret under nachspielet"
DETAIL_CANARY = "KANARI-detalj-19be"
MESSAGE_CANARY = "KANARI-melding-c0de: det skjedde igjen"
FILE_CANARY = b"KANARI-fil-5a5a"
REPLY = "Takk. Vi har lest varselet og tar kontakt her (KANARI-svar-0ff1)."


class Watch:
    """Every request the page sends and every console error (the bodies are recorded by
    the proxy, which sees them as they leave the browser)."""

    def __init__(self, page: Page) -> None:
        self.requests: list[tuple[str, bytes]] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def _request(self, request: Request) -> None:
        self.requests.append((request.url, request.post_data_buffer or b""))

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(message.text)


def _encodings(secret: bytes) -> list[bytes]:
    """The forms a key could take in a request body: raw, hex and every base64 variant
    (standard, URL-safe, unpadded, percent-encoded as a form field would carry it)."""
    forms = [secret, secret.hex().encode()]
    for text in (b64encode(secret), urlsafe_b64encode(secret)):
        forms += [text, text.rstrip(b"="), quote(text, safe="").encode()]
    return forms


def _reporter_keys(server: LiveServer, receipt: str) -> tuple[bytes, bytes]:
    """The reporter's key pair, derived in Python from the receipt and the portal's public
    salt (docs/PROTOCOL.md, "Receipt")."""
    with urllib.request.urlopen(f"{server.url}/api/v1/parameters", timeout=10) as response:
        salt = b64decode(json.load(response)["receipt_salt"])
    keys = derive_receipt_keys(receipt, salt)
    return keys.reporter_public_key, keys.reporter_secret_key


def big_file(tmp: Path) -> Path:
    path = tmp / "opptak.bin"
    block = hashlib.sha256(b"varsel").digest() * 2048  # 64 KiB, not compressible to zero
    with path.open("wb") as f:
        for i in range(320):  # 20 MiB
            f.write(block if i != 100 else FILE_CANARY + block[len(FILE_CANARY):])
    return path


def test_js_report_reply_and_follow_up_never_send_plaintext(
    browser: Browser, server: LiveServer, office: Office, tmp_path: Path  # noqa: F811 (fixtures)
) -> None:
    shots = os.environ.get("VARSEL_SHOTS")
    proxy = RecordingProxy(server.url)  # the page talks to the portal only through it
    base = proxy.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    watch = Watch(page)
    axe: dict[str, list[str]] = {}
    large = big_file(tmp_path)
    small = b"Skjermbilde: " + FILE_CANARY
    try:
        page.goto(f"{base}/report?lang=nb")
        page.wait_for_selector("form.report[data-browser-path=on]")
        axe["form"] = axe_violations(page)
        page.locator("#what_happened").fill(REPORT_CANARY)
        page.locator("#involved_detail").fill(DETAIL_CANARY)
        page.locator("input[name=where][value=overnight_event]").check()
        page.locator("input[name=involved_roles][value=tillitsvalgt]").check()
        small_file = tmp_path / "melding.txt"
        small_file.write_bytes(small)
        page.locator("#attachments").set_input_files([str(small_file), str(large)])
        page.locator("#understood").check()
        page.locator("form.report button[type=submit]").click()
        page.locator(".receipt .w").first.wait_for(timeout=120_000)
        receipt = page.locator(".receipt-line code").inner_text()
        assert len(receipt.split(" ")) == 8
        axe["receipt"] = axe_violations(page)
        if shots:
            page.screenshot(path=f"{shots}/js-receipt-1280.png", full_page=True)

        # The office imports with the real inbox: exact text and bytes.
        inbound = office.download()
        bundle = tmp_path / "inn.bundle"
        bundle.write_bytes(inbound)
        office.inbox("import", str(bundle))
        (listed,) = json.loads(office.inbox("list", "--json").stdout)
        shown = json.loads(office.inbox("show", listed["id"], "--json").stdout)
        report = shown["entries"][0] if "entries" in shown else shown
        assert report["answers"]["what_happened"] == REPORT_CANARY
        assert report["answers"]["involved_roles"] == ["tillitsvalgt"]
        out = tmp_path / "vedlegg"
        office.inbox("attachments", listed["id"], "--out", str(out))
        got = {p.name: p.read_bytes() for p in out.iterdir()}
        assert got == {"melding.txt": small, "opptak.bin": large.read_bytes()}
        office.inbox("reply", listed["id"], "--message", REPLY)
        office.inbox("status", listed["id"], "acknowledged")
        outbound = tmp_path / "svar.bundle"
        office.inbox("export-outbound", str(outbound))
        office.upload(outbound.read_bytes())

        # Follow-up with JavaScript: the reply is opened in the browser; a message is sealed.
        page.goto(f"{base}/follow-up?lang=nb")
        page.wait_for_selector("form.login[data-browser-path=on]")
        axe["login"] = axe_violations(page)
        page.locator("#receipt").fill(receipt.upper().replace(" ", "-"))
        page.locator("form.login button").click()
        page.wait_for_selector("ol.conversation li.item-office", timeout=60_000)
        conversation = page.locator(".conversation").inner_text()
        assert REPLY in conversation and REPORT_CANARY in conversation
        assert "opptak.bin" in conversation
        assert "Bekreftet mottatt" in page.locator("#thread-status").inner_text()
        page.locator("#text").fill(MESSAGE_CANARY)
        page.locator("form.message button[type=submit]").click()
        page.wait_for_selector("#thread-notice:not([hidden])", timeout=60_000)
        assert MESSAGE_CANARY in page.locator(".conversation").inner_text()
        axe["thread"] = axe_violations(page)
        if shots:
            for width in (360, 1280):
                page.set_viewport_size({"width": width, "height": 900})
                page.screenshot(path=f"{shots}/js-thread-{width}.png", full_page=True)
    finally:
        context.close()
        proxy.close()

    assert axe == {"form": [], "receipt": [], "login": [], "thread": []}
    assert watch.errors == []  # no CSP violation, no script error
    foreign = [url for url, _ in watch.requests if not url.startswith(base + "/")]
    assert foreign == []
    sent = proxy.sent()
    assert len(sent) > 20 * 2**20 and sent.count(b"VSE1") >= 4  # the sealed report went out
    assert [p for p, _ in proxy.bodies if p.startswith("/api/v1/report")] == ["/api/v1/report"]
    for secret in (REPORT_CANARY, DETAIL_CANARY, MESSAGE_CANARY, REPLY, receipt,
                   receipt.upper().replace(" ", "-")):
        assert secret.encode() not in sent, secret
    assert FILE_CANARY not in sent and b"opptak.bin" not in sent
    # The reporter's secret key never leaves the browser, in any encoding; the public key
    # derived the same way did go out, so the derivation is the browser's own.
    public_key, secret_key = _reporter_keys(server, receipt)
    assert b64encode(public_key) in sent
    for form in _encodings(secret_key):
        assert form not in sent, form

    # The same thread with JavaScript off (the server path): the message sent from the
    # browser path is there, sealed to the same key.
    thread_html = _reporter_thread(server, receipt)
    assert MESSAGE_CANARY in thread_html and REPLY in thread_html

    for canary in (REPORT_CANARY.encode(), DETAIL_CANARY.encode(), MESSAGE_CANARY.encode(),
                   FILE_CANARY, receipt.encode()):
        assert _files_containing(server.data_dir, canary) == [], canary
        assert _files_containing(server.tmp_dir, canary) == [], canary
        assert canary.decode() not in server.output


def _fill_report(page: Page, tmp: Path) -> None:
    page.locator("#what_happened").fill("Ved middagen på landsmøtet kom han med kommentarer.")
    page.locator("#when").fill("I mai")
    page.locator("input[name=kind][value=harassment]").check()
    page.locator("input[name=involved_roles][value=ansatt]").check()
    page.locator("input[name=involved_roles][value=auf_medlem]").check()
    page.locator("#contact_how").fill("Her i portalen")
    chat = tmp / "skjermbilde av meldinger.txt"
    chat.write_text("Melding kl 23:14: «du vet hva jeg vil»\n" * 40, encoding="utf-8")
    page.locator("#attachments").set_input_files([str(chat)])
    page.locator("#understood").check()
    page.locator("form.report button[type=submit]").click()
    page.locator(".receipt .w").first.wait_for(timeout=60_000)


def test_both_paths_import_alike_and_each_follows_up_on_the_other(
    browser: Browser, server: LiveServer, office: Office, tmp_path: Path  # noqa: F811 (fixtures)
) -> None:
    receipts = {}
    for js in (False, True):
        context = browser.new_context(java_script_enabled=js)
        page = context.new_page()
        try:
            page.goto(f"{server.url}/report?lang=en")
            if js:
                page.wait_for_selector("form.report[data-browser-path=on]")
            _fill_report(page, tmp_path)
            receipts[js] = page.locator(".receipt-line code").inner_text()
        finally:
            context.close()

    # The server path's receipt opens its thread in the browser, and the reverse.
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{server.url}/follow-up?lang=en")
        page.wait_for_selector("form.login[data-browser-path=on]")
        page.locator("#receipt").fill(receipts[False])
        page.locator("form.login button").click()
        page.wait_for_selector("ol.conversation li.item-me", timeout=60_000)
        assert "landsmøtet" in page.locator(".conversation").inner_text()
    finally:
        context.close()
    assert "landsmøtet" in _reporter_thread(server, receipts[True])

    bundle = tmp_path / "inn.bundle"
    bundle.write_bytes(office.download())
    office.inbox("import", str(bundle))
    threads = json.loads(office.inbox("list", "--json").stdout)
    assert len(threads) == 2
    shown = []
    for t in threads:
        data = json.loads(office.inbox("show", t["id"], "--json").stdout)
        out = tmp_path / t["id"]
        office.inbox("attachments", t["id"], "--out", str(out))
        files = {p.name: p.read_bytes() for p in out.iterdir()}
        entry = data["entries"][0] if "entries" in data else data
        shown.append((entry["answers"], files, sorted(entry)))
    assert shown[0] == shown[1]
    assert shown[0][0]["involved_roles"] == ["ansatt", "auf_medlem"]
