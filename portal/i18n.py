"""Languages: bokmål (default), nynorsk and English through Flask-Babel.

The language is chosen with a link (``?lang=nn``) and remembered in the signed Flask
session cookie; nothing else about the visitor is kept.
"""

from flask import Flask, request, session
from flask_babel import Babel

LANGUAGES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
DEFAULT = "nb"


def select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT


def _remember_choice() -> None:
    lang = request.args.get("lang")
    if lang in LANGUAGES and session.get("lang") != lang:
        session["lang"] = lang


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    Babel(app, locale_selector=select_locale)
    app.before_request(_remember_choice)

    @app.context_processor
    def _languages() -> dict[str, object]:
        return {"languages": LANGUAGES, "current_lang": select_locale()}
