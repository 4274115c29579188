"""``varsel-portal run``: the development server, without its ``Server`` banner.

Werkzeug's server names itself and the Python version in a ``Server`` header on every
response; that tells an attacker what to aim at and nothing a reporter needs. Production
runs under gunicorn, whose banner ``portal/gunicorn_conf.py`` removes.
"""

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import WSGIRequestHandler, run_simple


class QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, sending ``Date`` but no ``Server`` header."""

    def send_response(self, code: int, message: str | None = None) -> None:
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())


def serve(app: Flask, host: str, port: int) -> None:
    run_simple(host, port, app, threaded=True, request_handler=QuietRequestHandler)


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve the portal with the development server (production: gunicorn)."""
    serve(current_app._get_current_object(), host, port)  # type: ignore[attr-defined]


COMMANDS = [run_command]
