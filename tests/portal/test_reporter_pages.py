"""Landing, languages and the "not accepting reports" state."""

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from crypto.keys import SecretIdentity


def test_landing_tells_the_truth_and_shows_the_fingerprint(
    client: FlaskClient, office_identity: SecretIdentity
) -> None:
    html = client.get("/?lang=en").text
    assert office_identity.public.fingerprint in html
    for words in (
        "party office",  # who receives (§7)
        "right to see statements and evidence",  # §10.2
        "police",  # §1
        "work network",  # anonymity
        "Tor Browser",
        "metadata",
        "arbeidstilsynet.no",
        "ldo.no",
        "diskrimineringsnemnda.no",
        "politiet.no",
    ):
        assert words in html, words


def test_bokmal_is_the_default_and_the_choice_is_remembered(client: FlaskClient) -> None:
    html = client.get("/").text
    assert '<html lang="nb">' in html
    assert "Send et varsel" in html
    assert "fløyteblåser" not in html.lower()
    html = client.get("/?lang=nn").text
    assert '<html lang="nn">' in html and "Send eit varsel" in html
    assert '<html lang="nn">' in client.get("/report").text  # remembered in the session
    html = client.get("/report?lang=en").text
    assert '<html lang="en">' in html and "Send a report" in html
    client.get("/?lang=xx")  # unknown: ignored
    assert '<html lang="en">' in client.get("/").text


def test_every_language_renders_every_page(client: FlaskClient) -> None:
    for lang in ("nb", "nn", "en"):
        for path in ("/", "/report", "/follow-up"):
            response = client.get(f"{path}?lang={lang}")
            assert response.status_code == 200
            assert f'<html lang="{lang}">' in response.text
            title = re.search(r"<title>(.*?)</title>", response.text, flags=re.S)
            assert title and "<" not in title.group(1), title  # a title, not markup


def test_the_follow_up_page_gives_the_script_the_status_words_in_its_language(
    client: FlaskClient,
) -> None:
    html = client.get("/follow-up?lang=nn").text
    assert 'data-status-acknowledged="Stadfesta motteke"' in html
    assert 'data-status-closed="Avslutta"' in html
    # Once, in the head: the script replaces the main content with copies of it.
    assert html.count('id="thread-template"') == 1
    assert html.index('id="thread-template"') < html.index("</head>")


def test_without_an_office_key_no_reports_are_accepted(make_app: Callable[..., Flask]) -> None:
    app = make_app(office_key=False)
    client = app.test_client()
    landing = client.get("/?lang=en")
    assert landing.status_code == 200
    assert "does not accept reports" in landing.text
    assert "What happens next" in landing.text  # still informative
    response = client.get("/report")
    assert response.status_code == 503
    assert 'name="what_happened"' not in response.text
    assert client.post("/report", data={}).status_code in (400, 503)
