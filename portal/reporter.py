"""Placeholder for the reporter pages (issue 3)."""

from flask import Blueprint

bp = Blueprint("reporter", __name__)


@bp.get("/")
def index() -> str:
    return "<!doctype html><title>Varsel</title><h1>Varsel</h1>"
