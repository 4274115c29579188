"""Languages of the desk: bokmål (default), nynorsk and English through Flask-Babel.

Two catalogues in ``inbox/desk/translations``: ``messages`` for the desk's own words
(source strings in English) and ``labels`` for the words the inbox already has in bokmål
(case states, log kinds): their msgid is the bokmål label, so bokmål needs no catalogue
and nynorsk and English translate them. The report's questions and answers carry their
own words in the three languages (``report_form.catalogue``), and so does a thread's
status (inbox/statuses.py, as the reporter reads it). The language is chosen with a link
(``?lang=nn``) and kept in the session.
"""

from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel, Domain

from ..statuses import status_label

LANGUAGES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
DEFAULT = "nb"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"
LABELS = Domain(translation_directories=str(TRANSLATIONS), domain="labels")


def label_sources() -> list[str]:
    """Every bokmål label of the inbox the desk shows: the ``labels`` catalogue's msgids
    (``scripts/desk-labels.py`` writes them to labels.pot; a test checks nn and en)."""
    from .. import case as cases
    from .. import decision

    every_flag = cases.CaseMeta(central_office=True, employer=True, possible_crime=True,
                                rule11=True).flags()
    found = [
        *cases.STATES.values(),
        *cases.LEVELS.values(),
        *cases.LOG_KINDS.values(),
        *cases.DECLARATIONS.values(),
        *cases.STEP_PROMPTS.values(),
        *decision.OUTCOMES.values(),
        *decision.REACTION_TYPES.values(),
        *every_flag,
    ]
    return sorted(set(found))


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT


def status_words(status: str) -> str:
    """A thread's status in the chosen language, in the reporter's words
    (inbox/statuses.py)."""
    return status_label(status, select_locale())


def label(text: str) -> str:
    """A bokmål label of the inbox in the chosen language."""
    return str(LABELS.gettext(text)) if text else text


def _remember_choice() -> None:
    lang = request.args.get("lang")
    if lang in LANGUAGES and session.get("lang") != lang:
        session["lang"] = lang


def init_app(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = DEFAULT
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(TRANSLATIONS)
    Babel(app, locale_selector=select_locale)
    app.before_request(_remember_choice)
    app.jinja_env.filters["label"] = label
    app.jinja_env.globals["status_words"] = status_words

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {"languages": LANGUAGES, "current_lang": select_locale()}
