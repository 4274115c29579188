"""Placeholder for the party office's pages (issue 4)."""

from flask import Blueprint

bp = Blueprint("office", __name__)
