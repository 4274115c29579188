"""Placeholder landing page (the reporter blueprint replaces it)."""

from flask import Blueprint

bp = Blueprint("landing", __name__)


@bp.get("/")
def index() -> str:
    return "<!doctype html><title>Varsel</title><h1>Varsel</h1>"
