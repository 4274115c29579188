"""The office's desk (issue 13) in a real Chromium against ``varsel-inbox desk`` started as
a process, with the real portal on the other side.

A new staff member imports a bundle made by the real portal, reads the report, saves its
attachments (an image previewed only as redrawn pixels), replies after a preview,
acknowledges, opens a case, writes minutes, forwards it sealed to a handler's key (after
the §6d declaration and the fingerprint check), and writes the outbound bundle; the portal
applies it and the reporter reads the reply. The commands see the same store. Then: no
session, a reused secret, another Host and locking are refused; a report of HTML and
script shows as text, and an image preview is only redrawn pixels; axe-core finds nothing
on any page (forms with their <details> opened); screenshots at 1280 and 360 px are
always kept in build/screenshots/desk/ (git-ignored) for a person to look at.
"""

import io
import json
import os
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from chromium import axe_violations, shot
from conftest import ROOT, LiveServer
from desk_process import BIN, Desk, start_desk
from http_client import NoJsBrowser
from inbox_process import PASSPHRASE, run_inbox
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page
from reporter_pages import receipt_words, send_filled_report
from test_full_loop import (  # noqa: F401 (fixtures)
    Office,
    _reporter_thread,
    office,
)

pytestmark = pytest.mark.browser

REPORT_TEXT = "På sommersamlingen tok han meg rundt livet flere ganger, selv om jeg sa nei."
NOTE = "Referat: samtale med varsleren 12. juni. Hun ønsker at saken følges opp."
REPLY = "Takk for at du varslet. Vi har lest varselet og tar kontakt med deg her innen en uke."
TEXT_FILE = ("meldinger fra ham.txt", "Melding kl 23:14: «kom opp på rommet»\n" * 20)
GPS_CANARY = b"GPS-KANARI 60.39N 5.32E"
SHOTS = ROOT / "build" / "screenshots" / "desk"  # git-ignored; README, "Testing"


def _png_with_metadata() -> bytes:
    from PIL import Image, PngImagePlugin

    image = Image.new("RGB", (40, 30), (200, 40, 40))
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", GPS_CANARY.decode())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


@pytest.fixture
def desk_for(office_home: Path) -> Iterator[list[Desk]]:
    started: list[Desk] = []
    yield started
    for desk in started:
        desk.stop()


def _submit(portal: LiveServer, what_happened: str, files: list[tuple[str, bytes]]) -> str:
    """A report through the portal's form (no JavaScript); returns the receipt."""
    page = send_filled_report(
        NoJsBrowser(portal.url),
        {"what_happened": what_happened, "when": "I juni"},
        [("attachments", name, data) for name, data in files],
        lang="nb",
    )
    assert page.status == 200, page.html
    return " ".join(receipt_words(page.html))


def _report_in_the_desk(
    browser: Browser, office: Office, desk_for: list[Desk], tmp_path: Path  # noqa: F811
) -> tuple[Desk, BrowserContext, Page, list[str]]:
    """The portal's next bundle on the "USB stick", a desk started on the office's home
    (stopped by ``desk_for``), and a window (1280 px, its errors watched) that opened the
    desk, imported the bundle and opened the new report."""
    bundle = tmp_path / "inn.bundle"
    bundle.write_bytes(office.download())
    desk = start_desk(office.home)
    desk_for.append(desk)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = _watch(page)
    page.goto(desk.start_url)
    page.set_input_files("#bundle", str(bundle))
    page.locator("#import-button").click()
    page.wait_for_load_state()
    page.locator("#new-reports a").click()
    page.wait_for_load_state()
    return desk, context, page, errors


def _open_case(page: Page) -> str:
    """Take the open report into handling; returns the report's address."""
    thread_url = page.url
    page.locator("#open-button").click()
    page.wait_for_load_state()
    return thread_url


def _shot(page: Page, name: str) -> None:
    shot(page, name, SHOTS)


def _open_all_details(page: Page) -> None:
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")


def _watch(page: Page) -> list[str]:
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            errors.append(message.text)

    page.on("console", console)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "")  # navigated
            else errors.append(f"failed {r.url}: {r.failure}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (errors.append(f"dialog: {d.message}"), d.dismiss()))
    return errors


def test_a_new_staff_member_handles_a_report_through_the_desk_alone(
    browser: Browser, server: LiveServer, office: Office, tmp_path: Path,  # noqa: F811
    desk_for: list[Desk],
) -> None:
    png = _png_with_metadata()
    receipt = _submit(
        server, REPORT_TEXT, [(TEXT_FILE[0], TEXT_FILE[1].encode()), ("bilde.png", png)]
    )
    stick = tmp_path / "minnepinne"
    stick.mkdir()
    (stick / "fra-portalen.bundle").write_bytes(office.download())
    portal_page = office.browser.get("/kontor/").html
    portal_fp = re.search(r'id="portal-fingerprint">([A-Z2-7 ]+)<', portal_page)
    assert portal_fp

    handler_home = tmp_path / "saksbehandler"
    run_inbox(handler_home, "init", "--saksbehandler")
    handler_fp = run_inbox(handler_home, "pubkey").stdout

    desk = start_desk(office.home)
    desk_for.append(desk)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=False)
    page = context.new_page()
    errors = _watch(page)
    axe: dict[str, list[str]] = {}

    # The address the command printed opens the desk once, then a clean address.
    page.goto(desk.start_url)
    assert page.url == desk.base + "/"
    assert "Ingen varsler ennå" in page.locator("main").inner_text()
    _shot(page, "overview-empty-1280")

    # Import the bundle from the USB stick through the file chooser.
    page.set_input_files("#bundle", str(stick / "fra-portalen.bundle"))
    page.locator("#import-button").click()
    page.wait_for_load_state()
    assert "1 nytt varsel" in page.locator("#import-result").inner_text()
    assert page.locator("#pinned-fingerprint").inner_text() == portal_fp.group(1)
    deadlines = page.locator("#deadlines").inner_text()
    assert "Bekreft mottak (innen 7 dager)" in deadlines and "om 7 dager" in deadlines
    assert "Tilbakemelding til varsleren (innen 3 måneder)" in deadlines
    assert page.locator("#new-reports li").count() == 1
    _shot(page, "overview-1280")
    axe["overview"] = axe_violations(page)

    # Read the report: the answers under the form's questions.
    page.locator("#new-reports a").click()
    page.wait_for_load_state()
    assert page.locator("dd[data-question=what_happened]").inner_text() == REPORT_TEXT
    assert "Hva skjedde" in page.locator("dl.answers").inner_text()
    preview = page.locator("figure.preview img")
    assert preview.count() == 1
    assert page.evaluate("img => img.complete && img.naturalWidth", preview.element_handle()) == 40
    _shot(page, "report-1280")
    axe["report"] = axe_violations(page)

    # Save the attachments: same bytes for the text file, the image without its metadata.
    out = tmp_path / "vedlegg"
    page.locator("#folder").fill(str(out))
    page.locator("#save-button").click()
    page.wait_for_load_state()
    assert (out / TEXT_FILE[0]).read_bytes() == TEXT_FILE[1].encode()
    saved_png = (out / "bilde.png").read_bytes()
    assert saved_png.startswith(b"\x89PNG") and GPS_CANARY not in saved_png
    assert "metadata fjernet" in page.locator(".flashes").inner_text()

    # Reply: previewed as the reporter will see it, then sent.
    page.locator("#text").fill(REPLY)
    page.locator("#preview-button").click()
    page.wait_for_load_state()
    assert page.locator("#reply-preview .text").inner_text() == REPLY
    _shot(page, "reply-preview-1280")
    axe["reply-preview"] = axe_violations(page)
    page.locator("#send-button").click()
    page.wait_for_load_state()
    assert page.locator(".entry-reply .text").inner_text() == REPLY

    # Acknowledge, then open the case (it starts where the reporter is: acknowledged).
    page.locator("#ack-button").click()
    page.wait_for_load_state()
    page.locator("#open-button").click()
    page.wait_for_load_state()
    assert page.locator("#case-state").inner_text().startswith("Bekreftet – kontakt opprettet")
    assert "Kontakt den det varsles om" in page.locator("#state-form").inner_text()

    # Minutes in the case log.
    page.locator("#kind").select_option("referat")
    page.locator("#note-text").fill(NOTE)
    page.locator("#note-button").click()
    page.wait_for_load_state()
    assert NOTE in page.locator("#case-log").inner_text()
    _shot(page, "case-1280")
    axe["case"] = axe_violations(page)

    # Forward it sealed to the handler: declaration (§6d), then the fingerprint check.
    page.set_input_files("#key", str(handler_home / "office.pub"))
    page.locator("#name").fill("Kari Nordmann")
    page.locator("#declaration-habil").check()
    page.locator("#forward-button").click()
    page.wait_for_load_state()
    fingerprint = page.locator("#handler-fingerprint").inner_text()
    assert fingerprint in handler_fp
    _shot(page, "forward-confirm-1280")
    axe["forward"] = axe_violations(page)
    sealed = stick / "sak.vscase"
    page.locator("#out").fill(str(sealed))
    page.locator("#confirm-button").click()  # without the tick: nothing is written
    page.wait_for_load_state()
    assert not sealed.exists()
    assert "Ingenting er skrevet" in page.locator(".flashes").inner_text()
    page.goto(page.url)  # back on the report page: do it properly
    page.set_input_files("#key", str(handler_home / "office.pub"))
    page.locator("#name").fill("Kari Nordmann")
    page.locator("#forward-button").click()
    page.wait_for_load_state()
    page.locator("#out").fill(str(sealed))
    page.locator("#confirmed").check()
    page.locator("#confirm-button").click()
    page.wait_for_load_state()
    assert sealed.is_file()
    log = page.locator("#case-log").inner_text()
    assert "Forseglet saksmappe videresendt til saksbehandler (§6a)" in log
    assert "Kari Nordmann" in log and "erklærer seg habil" in log
    opened = run_inbox(handler_home, "open-casefile", str(sealed), "--out",
                       str(tmp_path / "saken"))
    assert opened.returncode == 0
    assert (tmp_path / "saken" / TEXT_FILE[0]).read_bytes() == TEXT_FILE[1].encode()

    # The commands read the same store: the case as the desk left it.
    thread_id = json.loads(run_inbox(office.home, "list", "--json").stdout)[0]["id"]
    shown = json.loads(run_inbox(office.home, "case", "show", thread_id, "--json").stdout)
    assert [e["kind"] for e in shown["log"]] == [
        "opprettet", "referat", "habilitet", "habilitet", "videresendt"
    ]

    # Write the outbound bundle to the stick; it says what it carries.
    page.locator("a.brand").click()
    page.wait_for_load_state()
    assert "1 kvittering, 1 svar, 1 statusendring" in page.locator("#pending").inner_text()
    outbound = stick / "til-portalen.bundle"
    page.locator("#export-path").fill(str(outbound))
    page.locator("#export-button").click()
    page.wait_for_load_state()
    flashes = page.locator(".flashes").inner_text()
    assert "Pakke nr. 1" in flashes and "1 kvittering, 1 svar, 1 statusendring" in flashes

    # Other languages: nynorsk and English, the reporter's text unchanged.
    page.goto(f"{desk.base}/sak/{thread_id}?lang=nn")
    assert "Kva skjedde" in page.locator("dl.answers").inner_text()
    assert page.locator("#samtale-h").inner_text() == "Varselet og samtalen"
    assert page.locator("dd[data-question=what_happened]").inner_text() == REPORT_TEXT
    _shot(page, "report-nn-1280")
    page.goto(f"{desk.base}/sak/{thread_id}?lang=en")
    assert "What happened" in page.locator("dl.answers").inner_text()
    assert page.locator("#samtale-h").inner_text() == "Report and conversation"
    page.goto(f"{desk.base}/?lang=nb")

    # A phone-sized window: nothing scrolls sideways.
    page.set_viewport_size({"width": 360, "height": 800})
    for path, name in (("/", "overview"), (f"/sak/{thread_id}", "report")):
        page.goto(desk.base + path)
        overflow = page.evaluate(
            "document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} scrolls sideways at 360 px"
        _shot(page, f"{name}-360")

    # Lock: the server stops and the process ends.
    page.locator("#lock").click()
    page.wait_for_load_state()
    assert "Skrivebordet er låst" in page.locator("h1").inner_text()
    assert desk.wait_for_exit(15) == 0
    _shot(page, "locked-360")
    axe["locked"] = axe_violations(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    _shot(page, "locked-1280")
    context.close()
    assert axe == {name: [] for name in axe}, axe
    assert errors == [], errors

    # The real portal applies the bundle and the reporter reads the reply.
    result = office.upload(outbound.read_bytes())
    assert 'id="acknowledged">1<' in result and 'id="replies">1<' in result, result
    thread_page = _reporter_thread(server, receipt)
    assert REPLY in thread_page


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # 127.0.0.1 only
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_only_the_session_the_secret_starts_is_served(
    browser: Browser, office_home: Path, desk_for: list[Desk]
) -> None:
    desk = start_desk(office_home)
    desk_for.append(desk)
    # No session: refused, pages and files alike.
    for path in ("/", "/static/desk.css", "/sak/abc", "/start/wrong-secret"):
        assert _get(desk.base + path) == 403, path
    context = browser.new_context()
    page = context.new_page()
    response = page.goto(desk.start_url)
    assert response is not None and response.status == 200 and page.url == desk.base + "/"
    headers = response.all_headers()
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    # The one-time secret does not work a second time, not even in another browser.
    other = browser.new_context(viewport={"width": 1280, "height": 900})
    refused = other.new_page()
    again = refused.goto(desk.start_url)
    assert again is not None and again.status == 403
    assert again.headers["content-type"].startswith("text/html")  # a page, not its source
    assert "ikke åpent for deg" in refused.locator("h1").inner_text()
    _shot(refused, "refused-1280")
    assert axe_violations(refused) == []
    refused.set_viewport_size({"width": 360, "height": 800})
    _shot(refused, "refused-360")
    # A page that cannot be shown says so in one line, with the way back.
    failed = page.goto(desk.base + "/sak/finnes-ikke")
    assert failed is not None and failed.status == 400
    assert page.locator(".flash-error").inner_text() != ""
    _shot(page, "error-1280")
    assert axe_violations(page) == []
    assert _get(desk.start_url) == 403
    # Another name for this address (DNS rebinding) is refused whatever the cookie.
    port = desk.base.rsplit(":", 1)[1]
    assert _get(desk.base + "/", {"Host": f"evil.example:{port}"}) == 400
    # A form without its CSRF token is refused and changes nothing.
    posted = page.request.post(desk.base + "/eksporter", form={"path": "/tmp/x.bundle"})
    assert posted.status == 400 and not Path("/tmp/x.bundle").exists()
    other.close()
    context.close()


def test_an_idle_desk_locks_itself(office_home: Path, desk_for: list[Desk]) -> None:
    desk = start_desk(office_home, "--idle-minutes", "0.05")  # 3 seconds
    desk_for.append(desk)
    assert desk.wait_for_exit(30) == 0
    assert "innboksen er låst" in desk.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(desk.base + "/", timeout=5)  # nothing listens any more


def test_a_report_of_html_and_script_shows_as_text(
    browser: Browser, server: LiveServer, office: Office, tmp_path: Path,  # noqa: F811
    desk_for: list[Desk],
) -> None:
    hostile = (
        '<script>alert("x")</script><img src=x onerror=alert(2)><b id="bold">fet</b>'
        "\u202eevil\u202c {{ 7*7 }} <a href=\"javascript:alert(3)\">lenke</a>"
    )
    _submit(server, hostile, [("<img src=x onerror=alert(1)>.html", b"<script>alert(4)</script>")])
    _desk, context, page, errors = _report_in_the_desk(browser, office, desk_for, tmp_path)
    shown = page.locator("dd[data-question=what_happened]")
    expected = hostile.replace("\u202e", "").replace("\u202c", "")  # clean() drops bidi
    assert shown.inner_text() == expected
    assert page.locator("#bold").count() == 0 and page.locator("main script").count() == 0
    assert page.locator("main img").count() == 0, "an .html attachment is never previewed"
    assert "<img src=x onerror=alert(1)>.html" in page.locator("#vedlegg").inner_text()
    _shot(page, "hostile-report-1280")
    assert axe_violations(page) == []
    context.close()
    assert errors == [], errors


def test_an_image_preview_is_redrawn_pixels_and_nothing_else_is_previewed(
    browser: Browser, server: LiveServer, office: Office, tmp_path: Path,  # noqa: F811
    desk_for: list[Desk],
) -> None:
    svg = (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(5)</script>'
           b"<text>GPS-KANARI</text></svg>")  # fmt: skip
    _submit(server, REPORT_TEXT, [("bilde.png", _png_with_metadata()), ("x.png", svg)])
    desk, context, page, _errors = _report_in_the_desk(browser, office, desk_for, tmp_path)
    images = page.locator("figure.preview img")
    assert images.count() == 2  # both are offered by name; the pixels decide
    sources = [images.nth(i).get_attribute("src") or "" for i in range(2)]
    # The real image: a PNG drawn anew, without the text chunk that carried the canary,
    # sent so that the browser may only show it as an image.
    real = page.request.get(desk.base + sources[0])
    assert real.status == 200
    body = real.body()
    assert body.startswith(b"\x89PNG") and GPS_CANARY not in body and b"GPS" not in body
    assert real.headers["content-type"] == "image/png"
    assert real.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert real.headers["x-content-type-options"] == "nosniff"
    assert real.headers["content-disposition"].startswith("attachment")
    # SVG (script and all) under a .png name: no preview, not a byte of it.
    fake = page.request.get(desk.base + sources[1])
    assert fake.status == 404 and b"alert" not in fake.body() and b"<svg" not in fake.body()
    # Without the session, not even the real one.
    assert _get(desk.base + sources[0]) == 403
    context.close()


def test_the_desk_command_refuses_a_wrong_passphrase(office_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_INBOX_PASSPHRASE"] = PASSPHRASE + " feil"
    result = subprocess.run(
        [str(BIN / "varsel-inbox"), "--home", str(office_home), "desk", "--no-browser"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 2 and "Feil passordfrase" in result.stderr
    assert "http://" not in result.stdout


def test_a_case_goes_from_open_to_close_out_with_its_pdf(
    browser: Browser, server: LiveServer, office: Office, tmp_path: Path,  # noqa: F811
    desk_for: list[Desk],
) -> None:
    _submit(server, REPORT_TEXT, [])
    desk, context, page, errors = _report_in_the_desk(browser, office, desk_for, tmp_path)
    thread_url = _open_case(page)
    assert page.locator("#case-state").inner_text().startswith("Mottatt")

    # Only the steps the guidelines allow are offered, each with what it asks first.
    offered = page.locator("#state-form input[name=state]")
    assert [offered.nth(i).get_attribute("value") for i in range(offered.count())] == [
        "bekreftet"
    ]
    for state, tell in (("bekreftet", "Vi har mottatt varselet og tar kontakt."),
                        ("anklagedes-versjon", ""), ("omforent-losning", ""),
                        ("avsluttet", "Saken er avsluttet.")):
        page.locator(f"#state-{state}").check()
        page.locator("#tell").fill(tell)
        page.locator("#state-button").click()
        page.wait_for_load_state()
    assert page.locator("#case-state").inner_text().startswith("Avsluttet")
    assert "Saken er avsluttet." in page.locator(".entry-reply").last.inner_text()

    # The PDF case file: only with the warning ticked, then written and logged.
    pdf = tmp_path / "saksmappe.pdf"
    page.locator("#out").fill(str(pdf))
    page.locator("#casefile-button").click()
    page.wait_for_load_state()
    assert not pdf.exists()
    page.locator("#out").fill(str(pdf))
    page.locator("#understood").check()
    page.locator("#casefile-button").click()
    page.wait_for_load_state()
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "Saksmappe eksportert" in page.locator("#case-log").inner_text()

    # Close-out refuses while replies are not confirmed by the portal (they would be lost).
    page.locator("#confirmed").check()
    page.locator("#close-button").click()
    page.wait_for_load_state()
    assert "ikke bekreftet mottatt av portalen" in page.locator(".flashes").inner_text()
    outbound = tmp_path / "ut.bundle"
    page.goto(desk.base + "/")
    page.locator("#export-path").fill(str(outbound))
    page.locator("#export-button").click()
    page.wait_for_load_state()
    assert 'id="replies">2<' in office.upload(outbound.read_bytes())
    page.set_input_files("#bundle", str(_save(tmp_path / "inn2.bundle", office.download())))
    page.locator("#import-button").click()
    page.wait_for_load_state()
    page.goto(thread_url)
    page.locator("#confirmed").check()
    page.locator("#close-button").click()
    page.wait_for_load_state()
    assert page.url == desk.base + "/"
    assert "slettet" in page.locator("#reports").inner_text()
    _shot(page, "overview-after-close-out-1280")
    context.close()
    assert errors == [], errors
    assert json.loads(run_inbox(office.home, "list", "--json").stdout)[0]["deleted"] is True


def _save(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_right_of_reply_decision_and_reaction_through_the_desk(
    browser: Browser, server: LiveServer, office: Office, tmp_path: Path,  # noqa: F811
    desk_for: list[Desk],
) -> None:
    _submit(server, "Ola Hansen tok meg på låret på årsmøtet i Tromsø.",
            [("skjermbilde-fra-kari.txt", b"Kari skrev dette")])
    desk, context, page, errors = _report_in_the_desk(browser, office, desk_for, tmp_path)
    thread_url = _open_case(page)
    for state in ("bekreftet", "anklagedes-versjon", "omforent-losning", "undersokelse",
                  "kontradiksjon"):
        page.locator(f"#state-{state}").check()
        page.locator("#state-button").click()
        page.wait_for_load_state()
    today = date.today()
    page.locator("#told-details summary").click()
    page.locator("#told-day").fill(today.isoformat())
    page.locator("#told-button").click()
    page.wait_for_load_state()
    reply_by = today + timedelta(days=14)
    page.locator("#reply-by").fill(reply_by.isoformat())
    page.locator("#access-button").click()
    page.wait_for_load_state()
    log = page.locator("#case-log").inner_text()
    assert f"frist for uttale {reply_by.isoformat()}" in log
    _open_all_details(page)
    _shot(page, "case-right-of-reply-1280")
    axe: dict[str, list[str]] = {"right-of-reply": axe_violations(page)}
    page.set_viewport_size({"width": 360, "height": 800})
    _shot(page, "case-right-of-reply-360")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(thread_url)  # the <details> as the page opens them

    # Marks, then the extract for the accused: the marked name is hidden.
    page.locator("#mark-details summary").click()
    page.locator("#mark-names").fill("Ola Hansen")
    page.locator("#mark-attachments label", has_text="skjermbilde-fra-kari.txt").click()
    page.locator("#mark-field-when").check()
    assert page.locator("#mark-field-identity").count() == 0  # never in the extract anyway
    page.locator("#mark-button").click()
    page.wait_for_load_state()
    extract = tmp_path / "innsyn.pdf"
    page.locator("#mark-details summary").click()
    page.locator("#extract-to").fill("Ola Hansen")
    page.locator("#extract-out").fill(str(extract))
    page.locator("#extract-button").click()
    page.wait_for_load_state()
    assert extract.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-layout", str(extract), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    assert "[skjult] tok meg på låret" in " ".join(text.split())
    for marked in ("Ola Hansen", "skjermbilde-fra-kari", "I juni"):  # the answer to "when"
        assert marked not in text, marked
    assert "Innsyn gitt den anklagede (§10.2)" in page.locator("#case-log").inner_text()

    # The accused's time to reply is among the deadlines, in plain words.
    page.goto(desk.base + "/")
    deadlines = page.locator("#deadlines").inner_text()
    assert "Den anklagedes frist for uttale (§10.2)" in deadlines and "om 14 dager" in deadlines

    # The decision moves the case on; a reaction with its review date after it.
    page.goto(thread_url)
    page.locator("#facts").fill("Det er mest sannsynlig at det skjedde slik varsleren sier.")
    page.locator("#reasons").fill("Samstemte forklaringer fra to vitner.")
    page.locator("#outcome").select_option("trakassering")
    page.locator("#decided-by").fill("Partisekretæren")
    page.locator("#decide-button").click()
    page.wait_for_load_state()
    assert page.locator("#case-state").inner_text().startswith("Avgjort")
    review = today + timedelta(days=90)
    page.locator("#reaction-details summary").click()
    page.locator("#reaction-type").select_option("reaksjon")
    page.locator("#reaction-what").fill("Skriftlig advarsel.")
    page.locator("#reaction-review").fill(review.isoformat())
    page.locator("#reaction-by").fill("Partisekretæren")
    page.locator("#reaction-told").fill("Fylkessekretæren")
    page.locator("#reaction-button").click()
    page.wait_for_load_state()
    assert page.locator("#case-state").inner_text().startswith("Suspensjon/reaksjon fastsatt")
    _open_all_details(page)
    _shot(page, "case-decided-1280")
    axe["reaction"] = axe_violations(page)
    context.close()
    assert axe == {name: [] for name in axe}, axe
    assert errors == [], errors
    thread_id = json.loads(run_inbox(office.home, "list", "--json").stdout)[0]["id"]
    shown = json.loads(run_inbox(office.home, "case", "show", thread_id, "--json").stdout)
    assert shown["decision"]["outcome"] == "trakassering"
    assert shown["reactions"][0]["review_day"] == review.isoformat()
    assert shown["marks"] == {
        "names": ["Ola Hansen"], "attachments": ["skjermbilde-fra-kari.txt"], "fields": ["when"]
    }
