"""The question catalogue is the one place a question lives (report_form/questions.toml,
read by report_form/catalogue.py).

The proof: questions added to the catalogue's data file -- and nowhere else -- appear on
the form, are
sealed in the report by the portal, pass the one validator in the inbox, and show in the
inbox's display, its JSON, the desk's languages and the case file PDF; the reporter's own
copy carries them too. The rest of the module keeps the catalogue and its mirrors true.
"""

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import click
import pytest
from conftest import install_office_key
from flask import Flask
from reporter_pages import form, receipt_words

import portal.cli as portal_cli
from crypto import bundle as bundles
from crypto.errors import MalformedError
from crypto.payload import Report, check_answers
from inbox import render
from portal.services import services
from report_form import catalogue

from .conftest import Office
from .test_case import pdftotext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

# Two questions as a maintainer adds them: entries at the end of report_form/questions.toml.
ADDED = (HERE / "added_questions.toml").read_text(encoding="utf-8")
GROUPS, EXTENDED = catalogue.load(catalogue.read_data() + ADDED)
WITNESSES, ROOM = EXTENDED[-2:]


def _portal_command(app: Flask, *args: str) -> click.testing.Result:
    command = portal_cli.main.get_command(click.Context(portal_cli.main), args[0])
    assert command is not None
    return app.test_cli_runner().invoke(command, list(args[1:]))


def test_a_question_added_to_the_catalogue_goes_all_the_way(
    monkeypatch: pytest.MonkeyPatch,
    make_app: Callable[..., Flask],
    office: Office,
    tmp_path: Path,
) -> None:
    answers = {"what_happened": "Noe skjedde.", "witnesses": "several", "room": "Blåsalen"}
    with pytest.raises(MalformedError, match="unknown question 'witnesses'"):
        check_answers(answers)  # not a question until the catalogue says so

    # The one edit: two entries in the catalogue's data file.
    assert GROUPS == catalogue.GROUPS and EXTENDED[:-2] == catalogue.QUESTIONS
    assert (WITNESSES.key, ROOM.key, ROOM.max_length) == ("witnesses", "room", 40)
    monkeypatch.setattr(catalogue, "QUESTIONS", EXTENDED)
    assert check_answers(answers) == answers
    with pytest.raises(MalformedError, match="not an allowed choice"):
        check_answers({**answers, "witnesses": "maybe"})

    app = make_app(office_key=False)
    install_office_key(services(app).settings.data_dir, office.public)
    client = app.test_client()

    # The form asks them, in each language, with the help text and the choices.
    for lang, question in (("nb", "Var det noen andre til stede?"),
                           ("nn", "Var det nokon andre til stades?"),
                           ("en", "Was anyone else there?")):
        page = client.get(f"/report?lang={lang}").text
        assert question in page and WITNESSES.hint is not None
        assert WITNESSES.hint.of(lang) in page and ROOM.label.of(lang) in page
        assert WITNESSES.choices[0].label.of(lang) in page
    spec = form(page, "/report")
    assert spec.radios["witnesses"] == ["several", "none"]
    assert "room" in spec.texts
    assert re.search(r'<input [^>]*maxlength="40"[^>]*name="room"', page)
    assert re.search(r'data-questions="[^"]* witnesses room"', page)  # the script's keys

    # The form's bound holds: a longer room is sent back, nothing filed.
    client.get("/report?lang=nb")
    too_long = client.post("/report", data={
        "csrf_token": spec.csrf_token, "understood": "y", "what_happened": "x",
        "room": "r" * 41,
    })
    assert too_long.status_code == 200 and "Se over skjemaet" in too_long.text

    # Sent without JavaScript: sealed with the other answers.
    sent = client.post(
        "/report",
        data={"csrf_token": spec.csrf_token, "understood": "y", **answers},
        follow_redirects=True,
    )
    assert sent.request.path == "/report/receipt", sent.text[:2000]
    words = receipt_words(sent.text)

    # The reporter's own copy names the question and the answer in the reporter's words.
    login = form(client.get("/follow-up").text, "/follow-up")
    client.post("/follow-up", data={"csrf_token": login.csrf_token, "receipt": " ".join(words)})
    own_copy = client.get("/thread").text
    assert "Var det noen andre til stede?" in own_copy and "Ja, flere" in own_copy
    assert "Hvilket rom?" in own_copy and "Blåsalen" in own_copy

    # Carried to the inbox as the office does it: exported, imported, decoded, checked.
    carried = tmp_path / "inn.vsb"
    exported = _portal_command(app, "export-inbound", str(carried))
    assert exported.exit_code == 0, exported.output
    fingerprint = bundles.signer_fingerprint(bundles.bundle_signer(carried.read_bytes()))
    office.ok("import", str(carried), "--expect-fingerprint", fingerprint)
    (listed,) = json.loads(office.ok("list", "--json").output)
    thread = listed["id"]
    shown = json.loads(office.ok("show", thread, "--json").output)
    (report,) = [e for e in shown["entries"] if e["type"] == "report"]
    assert report["answers"] == answers  # the decoded payload
    readable = {r["question"]: (r["label"], r["answer"]) for r in report["answers_readable"]}
    assert readable["witnesses"] == ("Andre til stede (§9.1)", "Flere vitner")
    assert readable["room"] == ("Rom", "Blåsalen")
    assert list(readable) == list(answers)  # the catalogue's order

    # The inbox's display: the terminal, and the desk's other languages.
    terminal = office.ok("show", thread).output
    assert "Andre til stede (§9.1)" in terminal and "Flere vitner" in terminal
    payload = Report(answers, bytes(32))
    assert ("witnesses", "Andre til stades (§9.1)", "Fleire vitne") in render.answer_rows(
        payload, "nn"
    )
    assert ("witnesses", "Others present (§9.1)", "Several witnesses") in render.answer_rows(
        payload, "en"
    )

    # The case file PDF.
    office.ok("case", "open", thread)
    pdf = tmp_path / "saksmappe.pdf"
    office.ok("case", "export", thread, "--out", str(pdf))
    text = " ".join(pdftotext(pdf).split())
    assert "Andre til stede (§9.1) Flere vitner" in text
    assert "Rom Blåsalen" in text


def test_every_question_has_its_words_group_and_choices() -> None:
    groups = {g.key for g in catalogue.GROUPS}
    keys = [q.key for q in catalogue.QUESTIONS]
    assert len(keys) == len(set(keys)) == 18
    for question in catalogue.QUESTIONS:
        assert question.group in groups, question.key
        assert question.serves, question.key
        texts = [question.label, question.office, *(c.label for c in question.choices),
                 *(c.office for c in question.choices)]
        assert all(t.nb and t.nn and t.en for t in texts), question.key
        free = question.kind in catalogue.FREE_TEXT
        assert free == (not question.choices), question.key
        assert len(set(question.values)) == len(question.values), question.key
    required = [q.key for q in catalogue.QUESTIONS if q.required is not None]
    assert required == ["what_happened"]


def test_a_shared_choice_gives_the_words_a_choice_does_not() -> None:
    """``value = "yes"`` alone is the shared yes; a choice's own office words win over the
    shared ones while the reporter keeps reading the shared label."""
    questions = catalogue.by_key(catalogue.QUESTIONS)
    ongoing = questions["ongoing"].choices
    assert [(c.value, c.label.nn, c.office.en) for c in ongoing] == [
        ("yes", "Ja", "Yes"), ("no", "Nei", "No"), ("unknown", "Veit ikkje", "Don't know"),
    ]
    assert questions["contact_persons_contacted"].choices == ongoing
    assert questions["contact_wanted"].choices == ongoing[:2]
    announced = questions["contact_persons_announced"].choices
    assert announced[0] == ongoing[0] and announced[2] == ongoing[2]
    assert announced[1].label == ongoing[1].label
    assert announced[1].office.nb == "Nei – kjøreregel 11 (Bergen) sier at de skal kunngjøres"
    employee = questions["party_employee_involved"].choices
    assert employee[0].label.en == "Yes" and "(§11)" in employee[0].office.en
    assert employee[1:] == ongoing[1:]


MISTAKES = tomllib.loads((HERE / "catalogue_mistakes.toml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("mistake", MISTAKES["mistake"], ids=lambda m: m["error"][:50])
def test_a_mistake_in_the_data_file_is_refused_naming_the_question(
    mistake: dict[str, str],
) -> None:
    text = catalogue.read_data()
    if "old" in mistake:
        assert mistake["old"] in text
        text = text.replace(mistake["old"], mistake["new"], 1)
    else:
        text += mistake["new"]
    with pytest.raises(catalogue.CatalogueError) as refused:
        catalogue.load(text)
    assert str(refused.value).startswith(f"questions.toml: {mistake['error']}")


def test_protocol_describes_the_catalogue() -> None:
    """docs/PROTOCOL.md's table of report answers lists the catalogue: keys, choices and
    the paragraphs of the guidelines, in the catalogue's order."""
    text = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(\w+)` \| (.*) \| (.*) \|$", text, flags=re.M)
    documented = {key: (choices, serves) for key, choices, serves in rows}
    keys = [k for k, _, _ in rows if k in documented and k in catalogue.keys()]
    assert keys == list(catalogue.keys())
    for question in catalogue.QUESTIONS:
        choices, serves = documented[question.key]
        assert serves == question.serves, question.key
        assert re.findall(r"`(\w+)`", choices) == list(question.values), question.key
        assert ("list of" in choices) == (question.kind is catalogue.SEVERAL), question.key
        assert ("free text" in choices) == (question.kind in catalogue.FREE_TEXT), question.key
