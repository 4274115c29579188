"""Helpers for driving the reporter pages without JavaScript: parse forms as a browser would
(no JS), fill them, read the receipt. Used by the test-client and real-HTTP tests.

- :func:`send_filled_report`  the report form over real HTTP (:class:`NoJsBrowser`), every
                              field filled
- :func:`post_report_form`    the report form through the Flask test client, the answers given
"""

import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask.testing import FlaskClient
from http_client import Files, NoJsBrowser, Page
from werkzeug.test import TestResponse

HONEYPOT = "website"


@dataclass
class FormSpec:
    """The fields of one HTML form, as a browser without JavaScript would see them."""

    action: str
    hidden: dict[str, str] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # text inputs and textareas
    radios: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: dict[str, list[str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    @property
    def csrf_token(self) -> str:
        return self.hidden["csrf_token"]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[FormSpec] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(FormSpec(action=a.get("action", "")))
            return
        if not self.forms or "name" not in a:
            return
        form, name = self.forms[-1], a["name"]
        if tag == "textarea":
            form.texts.append(name)
        elif tag == "input":
            kind = a.get("type", "text")
            if kind == "hidden":
                form.hidden[name] = a.get("value", "")
            elif kind == "text" and name != HONEYPOT:
                form.texts.append(name)
            elif kind == "radio":
                form.radios.setdefault(name, []).append(a["value"])
            elif kind == "checkbox":
                form.checkboxes.setdefault(name, []).append(a.get("value", "y"))
            elif kind == "file":
                form.files.append(name)


def forms(html: str) -> list[FormSpec]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form(html: str, action: str) -> FormSpec:
    for spec in forms(html):
        if spec.action == action:
            return spec
    raise AssertionError(f"no form posting to {action}")


def csrf_token(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def receipt_words(html: str) -> list[str]:
    words = re.findall(r'<span class="w">([a-z]+)</span>', html)
    assert len(words) == 8, "receipt page shows eight words"
    return words


def filled(
    spec: FormSpec, text_for: dict[str, str] | None = None, marker: str = ""
) -> dict[str, object]:
    """Every text field filled (``marker`` + field name unless given), the first choice of
    every radio group and every checkbox ticked."""
    data: dict[str, object] = dict(spec.hidden)
    for name in spec.texts:
        data[name] = (text_for or {}).get(name, f"{marker} {name}")
    for name, values in spec.radios.items():
        data[name] = values[0]
    for name, values in spec.checkboxes.items():
        data[name] = values if len(values) > 1 else values[0]
    return data


def field_pairs(data: dict[str, object]) -> list[tuple[str, str]]:
    """Filled fields (:func:`filled`) as a browser sends them: a (name, value) pair per value."""
    return [(k, v) for k, v in data.items() if isinstance(v, str)] + [
        (k, x) for k, v in data.items() if isinstance(v, list) for x in v
    ]


def send_filled_report(
    browser: NoJsBrowser, text_for: dict[str, str], files: Files | None = None, lang: str = "en"
) -> Page:
    """Open the report form in ``lang``, fill every field (:func:`filled`, ``text_for`` for
    the texts) and send it with ``files`` as the form's file inputs."""
    page = browser.get(f"/report?lang={lang}")
    fields = filled(form(page.html, "/report"), text_for)
    return browser.post_multipart("/report", field_pairs(fields), files or [])


def post_report_form(
    client: FlaskClient,
    answers: dict[str, object],
    *,
    files: list[tuple[bytes, str]] | None = None,
    page: str = "/report",
    action: str = "/report",
    follow_redirects: bool = False,
) -> TestResponse:
    """POST the report form through the Flask test client with the CSRF token of a fresh GET
    of ``page`` and only the ``answers`` given. With ``files`` (body, name) it goes as
    multipart, the file input sent empty when there are none, as a browser sends it;
    without, url-encoded and with no file input at all."""
    data: dict[str, object] = {"csrf_token": csrf_token(client.get(page).text), **answers}
    if files is None:
        return client.post(action, data=data, follow_redirects=follow_redirects)
    data["attachments"] = [(io.BytesIO(body), name) for body, name in files] or [
        (io.BytesIO(b""), "")
    ]
    return client.post(
        action, data=data, content_type="multipart/form-data", follow_redirects=follow_redirects
    )
