"""A helper for the browser-path API tests: the CSRF token of a page, as the script reads it."""

import re

from flask.testing import FlaskClient


def csrf(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, path
    return match.group(1)
