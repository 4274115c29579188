"""``varsel-portal verify-assets URL``: does a live portal serve this release's files?

A server that serves modified JavaScript defeats the browser path (docs/THREAT-MODEL.md,
"The browser path"). This command, run by the office or anyone from another machine with
the same release installed, fetches the reporter pages of a live portal, every script,
style sheet and icon they load, every file of the release's asset manifest and the receipt
word list, and compares each with the installed release: SHA-256 of the bytes, and each
script's Subresource Integrity attribute. Any difference, an inline script or a page that
loads something outside the manifest is reported, and the exit code is 1.
"""

import base64
import hashlib
import json
import urllib.error
import urllib.request
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import click

from crypto.wordlist import wordlist_sha256

from ..assets import MANIFEST_URL, build_manifest

PAGES = ("/", "/report", "/follow-up")
TIMEOUT = 30


class _Loads(HTMLParser):
    """Scripts (with integrity), style sheets and icons a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[tuple[str | None, str | None]] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts.append((a.get("src"), a.get("integrity")))
        elif tag == "link" and a.get("href") and a.get("rel") in ("stylesheet", "icon"):
            self.links.append(a["href"] or "")


def _fetch(url: str) -> bytes:
    # http(s) only: verify_assets checks the scheme before anything is fetched.
    request = urllib.request.Request(url, headers={"User-Agent": "varsel-verify-assets"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310  # nosec B310
        data: bytes = response.read()
        return data


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify(base: str) -> tuple[list[str], int]:
    """Problems found (empty when the portal serves exactly this release) and the number of
    files compared."""
    base = base.rstrip("/")
    origin = urlsplit(base)
    expected: dict[str, str] = build_manifest()["files"]
    problems: list[str] = []
    checked = 0

    def same_origin(url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) == (origin.scheme, origin.netloc)

    def compare(path: str) -> bytes | None:
        nonlocal checked
        try:
            data = _fetch(base + path)
        except (urllib.error.URLError, OSError) as exc:
            problems.append(f"{path}: could not be fetched ({exc})")
            return None
        checked += 1
        if path not in expected:
            problems.append(f"{path}: not a file of this release")
        elif _sha256(data) != expected[path]:
            problems.append(f"{path}: differs from this release")
        return data

    for page in PAGES:
        try:
            html = _fetch(base + page).decode("utf-8", errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            problems.append(f"{page}: could not be fetched ({exc})")
            continue
        loads = _Loads()
        loads.feed(html)
        for src, integrity in loads.scripts:
            if not src:
                problems.append(f"{page}: has an inline script")
                continue
            url = urljoin(base + page, src)
            if not same_origin(url):
                problems.append(f"{page}: loads a script from another origin: {url}")
                continue
            path = urlsplit(url).path
            data = compare(path)
            if data is not None:
                want = "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
                if integrity != want:
                    problems.append(f"{page}: the integrity of {path} does not match the file")
        for href in loads.links:
            url = urljoin(base + page, href)
            if not same_origin(url):
                problems.append(f"{page}: loads {url} from another origin")
            else:
                compare(urlsplit(url).path)
    for path in expected:
        compare(path)
    try:
        served = json.loads(_fetch(base + MANIFEST_URL))
        if served.get("files") != expected:
            problems.append(f"{MANIFEST_URL}: differs from this release's manifest")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        problems.append(f"{MANIFEST_URL}: could not be read ({exc})")
    try:
        if _sha256(_fetch(base + "/api/v1/wordlist.txt")) != wordlist_sha256():
            problems.append("/api/v1/wordlist.txt: differs from this release")
    except (urllib.error.URLError, OSError) as exc:
        problems.append(f"/api/v1/wordlist.txt: could not be fetched ({exc})")
    return sorted(set(problems)), checked


@click.command("verify-assets")
@click.argument("url")
def verify_assets(url: str) -> None:
    """Compare the pages and files a live portal at URL serves with this release."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise click.ClickException("URL must start with https:// (or http:// for a test)")
    problems, checked = verify(url)
    if problems:
        for problem in problems:
            click.echo(f"MISMATCH {problem}", err=True)
        raise click.ClickException(
            f"{url} does not serve this release's files ({len(problems)} problems). Do not "
            "trust its browser encryption until this is explained."
        )
    click.echo(f"OK: {url} serves this release's {checked} files, byte for byte.")


COMMANDS = [verify_assets]
