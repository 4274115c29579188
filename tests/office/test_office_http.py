"""The office pages over real HTTP against ``varsel-portal run`` (issue 9, items 5 and 6):
the chosen language survives login and logout and can be switched on every office page;
the first login right after the setup, with the code the setup just used, is told to wait
for the next code and does not count towards a lockout; the README's TOTP one-liner works
with the key exactly as the page shows it."""

import fnmatch
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from conftest import LiveServer, start_live_server
from http_client import NoJsBrowser, Page
from reporter_pages import csrf_token

from crypto.keys import SecretIdentity

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "et langt og godt passord"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    live = start_live_server(tmp_path / "portal", SecretIdentity.generate())
    try:
        yield live
    finally:
        live.stop()


def _set_up(server: LiveServer, browser: NoJsBrowser, lang: str) -> tuple[str, str, Page]:
    """add-office-user, then the three setup pages; the TOTP key as shown, the code used."""
    made = subprocess.run(
        [str(BIN / "varsel-portal"), "add-office-user", "kari"],
        env=server.env, capture_output=True, text=True, check=True,
    )
    code = re.search(r"^\s+(\S+)\s*$", made.stdout, flags=re.M)
    assert code, made.stdout
    page = browser.get(f"/kontor/oppsett?lang={lang}")
    page = browser.post_form(
        "/kontor/oppsett",
        [("csrf_token", csrf_token(page.html)), ("name", "kari"), ("setup_code", code.group(1))],
    )
    page = browser.post_form(
        "/kontor/oppsett/passord",
        [("csrf_token", csrf_token(page.html)), ("password", PASSWORD),
         ("password_again", PASSWORD)],
    )
    shown = re.search(r'class="office-secret"><code>([A-Z2-7 ]+)</code>', page.html)
    assert shown and " " in shown.group(1)
    used = pyotp.TOTP(shown.group(1).replace(" ", "")).now()
    page = browser.post_form(
        "/kontor/oppsett/totp", [("csrf_token", csrf_token(page.html)), ("code", used)]
    )
    assert page.url.endswith("/kontor/logg-inn"), page.html
    return shown.group(1), used, page


def _log_in(browser: NoJsBrowser, page: Page, code: str) -> Page:
    return browser.post_form(
        "/kontor/logg-inn",
        [("csrf_token", csrf_token(page.html)), ("name", "kari"), ("password", PASSWORD),
         ("code", code)],
    )


def _failed_logins(server: LiveServer) -> tuple[int, object]:
    with sqlite3.connect(server.data_dir / "varsel.sqlite3") as db:
        row = db.execute(
            "SELECT failed_logins, locked_until FROM office_users WHERE name = 'kari'"
        ).fetchone()
    return int(row[0]), row[1]


def test_the_setup_code_again_says_wait_and_does_not_lock(server: LiveServer) -> None:
    browser = NoJsBrowser(server.url)
    key, used, page = _set_up(server, browser, "nb")
    for _ in range(6):  # more than the lockout threshold
        page = _log_in(browser, page, used)
        assert page.status == 401 and "neste kode" in page.html, page.html
        assert "låst" not in page.html
    assert _failed_logins(server) == (0, None)

    # The README's one-liner, with the key as the page shows it (spaces and all).
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"`(\.venv/bin/python -c \"import sys, pyotp;[^`]+)`", readme)
    assert line, "the README shows how to compute a code"
    command = line.group(1).replace(".venv/bin/python", sys.executable)
    command = re.sub(r"(?:[A-Z2-7]{4} ){7}[A-Z2-7]{4}$", key, command)
    computed = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, check=True
    ).stdout.strip()
    totp = pyotp.TOTP(key.replace(" ", ""))
    assert computed in {totp.at(time.time() + d) for d in (-30, 0, 30)}

    page = _log_in(browser, page, totp.at(time.time() + 30))  # the next code
    assert page.url.endswith("/kontor/"), page.html


def test_the_language_survives_login_and_logout(server: LiveServer) -> None:
    browser = NoJsBrowser(server.url)
    key, _used, page = _set_up(server, browser, "en")
    assert '<html lang="en">' in page.html and "Log in" in page.html
    page = _log_in(browser, page, pyotp.TOTP(key.replace(" ", "")).at(time.time() + 30))
    assert page.url.endswith("/kontor/") and '<html lang="en">' in page.html
    assert "Download inbound bundle" in page.html
    switcher = re.findall(r'<a href="(/kontor/\?lang=(nb|nn|en))"', page.html)
    assert {code for _href, code in switcher} == {"nb", "nn", "en"}

    # Item 10: threads are "varsler" on the dashboard; "sak" is a case in the inbox.
    page = browser.get("/kontor/?lang=nb")
    assert "Varsler i portalen" in page.html and "Saker" not in page.html
    guide = (ROOT / "docs/OFFICE-GUIDE.md").read_text()
    assert ".vsb" not in guide and "portalen varsler om" not in guide
    assert "sender ingen e-post" in guide

    page = browser.get("/kontor/?lang=nn")
    assert '<html lang="nn">' in page.html and "Logga inn som" in page.html, page.html
    page = browser.post_form("/kontor/logg-ut", [("csrf_token", csrf_token(page.html))])
    assert page.url.endswith("/kontor/logg-inn") and '<html lang="nn">' in page.html
    page = browser.get("/kontor/logg-inn")
    assert '<html lang="nn">' in page.html


def test_every_download_has_its_own_file_name_and_the_readme_glob_finds_it(
    server: LiveServer,
) -> None:
    browser = NoJsBrowser(server.url)
    key, _used, page = _set_up(server, browser, "nb")
    page = _log_in(browser, page, pyotp.TOTP(key.replace(" ", "")).at(time.time() + 30))
    names = []
    for _ in range(2):
        page = browser.get("/kontor/")
        got = browser.post_form("/kontor/last-ned", [("csrf_token", csrf_token(page.html))])
        assert got.status == 200
        name = re.search(r'filename="([^"]+)"', got.headers["Content-Disposition"])
        assert name
        names.append(name.group(1))
    assert names[0] != names[1]
    assert re.fullmatch(r"varsel-inn-\d{4}-\d\d-\d\d-nr-1\.bundle", names[0]), names
    assert re.fullmatch(r"varsel-inn-\d{4}-\d\d-\d\d-nr-2\.bundle", names[1]), names
    readme = (ROOT / "README.md").read_text()
    glob = re.search(r"varsel-inbox import ~/Downloads/(\S+)", readme)
    assert glob and fnmatch.fnmatch(names[0], glob.group(1))
    assert not fnmatch.fnmatch(names[1], glob.group(1)), "the glob names one file"
    # A refused upload gives its reason in the page's language (item 9).
    for lang, reason in (("nb", "filen er ikke en Varsel-pakke"),
                         ("nn", "fila er ikkje ein Varsel-pakke"),
                         ("en", "the file is not a Varsel bundle")):
        page = browser.get(f"/kontor/?lang={lang}")
        refused = browser.post_multipart(
            "/kontor/last-opp", [("csrf_token", csrf_token(page.html))],
            [("bundle", "svar.bundle", b"not a bundle at all")],
        )
        assert refused.status == 400 and reason in refused.html, refused.html
        if lang != "en":
            assert "not a Varsel bundle" not in refused.html
