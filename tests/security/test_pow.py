"""Issue 7, item 3: the proof of work (portal/pow.py, docs/PROTOCOL.md "Proof of work"),
its lane, and limits that shed in seconds even behind one shared address."""

import base64
import hashlib
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from reporter_pages import csrf_token, receipt_words

from portal.assets import hashed_name
from portal.pow import leading_zero_bits, make_challenge, solve, spend, verify
from portal.services import services

ROOT = Path(__file__).resolve().parents[2]


def _challenge(html: str) -> str:
    found = re.search(r'name="pow" value="" data-challenge="([^"]+)"', html)
    assert found
    return found.group(1)


def _not_near_a_window_end(window: int = 60) -> None:
    left = window - time.time() % window
    if left < 15:
        time.sleep(left + 0.5)


def test_every_argon2_form_carries_a_challenge_and_the_script_with_sri(
    client: FlaskClient,
) -> None:
    script = (ROOT / "static/js/pow.js").read_bytes()
    sri = "sha384-" + base64.b64encode(hashlib.sha384(script).digest()).decode()
    for path in ("/report", "/follow-up"):
        html = client.get(path).text
        assert _challenge(html).startswith("1.16.")
        named = hashed_name("js/pow.js", hashlib.sha256(script).hexdigest())
        assert f'<script src="/static/{named}" integrity="{sri}" defer></script>' in html
    assert client.get("/static/js/pow.js").data == script
    fresh = client.get("/pow")
    assert fresh.status_code == 200 and fresh.text.startswith("1.16.")
    assert fresh.headers["Cache-Control"] == "no-store"


def test_a_solution_is_checked_and_spent_once(app: Flask) -> None:
    key = services(app).pow_key
    engine = services(app).engine
    now = time.time()
    challenge = make_challenge(key, 8, now)
    solution = solve(challenge)
    assert leading_zero_bits(hashlib.sha256(solution.encode()).digest()) >= 8
    solved = verify(key, solution, now, 8)
    assert solved is not None
    assert spend(engine, solved, now) and not spend(engine, solved, now)  # a replay
    body, mac, nonce = solution.rsplit(".", 2)
    forged = f"{body.replace('1.8.', '1.2.', 1)}.{mac}.{nonce}"
    assert verify(key, forged, now, 2) is None  # fewer bits than signed
    assert verify(key, solution, now, 9) is None  # below the server's minimum
    assert verify(key, solution, now + 21 * 60, 8) is None  # expired
    assert verify(b"\0" * 32, solution, now, 8) is None  # another portal's challenge
    for junk in ("", "x" * 500, "1.8", challenge, solution + "\n", "2" + solution[1:]):
        assert verify(key, junk, now, 8) is None


def _report(client: FlaskClient, pow_value: str | None) -> int:
    page = client.get("/report").text
    data = {"csrf_token": csrf_token(page), "what_happened": "x", "understood": "y"}
    if pow_value is not None:
        data["pow"] = solve(_challenge(page)) if pow_value == "solve" else pow_value
    return client.post("/report", data=data, follow_redirects=True).status_code


def test_pow_lane_passes_a_full_plain_lane_and_raises_the_cost(
    make_app: Callable[..., Flask],
) -> None:
    _not_near_a_window_end()
    app = make_app(global_submissions=1, pow_lane_factor=3, pow_bits=8, pow_max_bits=14)
    client = app.test_client()
    assert _report(client, None) == 200
    assert _report(client, None) == 429  # the plain lane is full
    assert _report(client, "garbage") == 429  # a bad proof is no proof
    assert client.get("/pow").text.startswith("1.8.")
    assert _report(client, "solve") == 200  # the proof-of-work lane still takes it
    assert client.get("/pow").text.startswith("1.10.")  # 1 of 3: cost rises
    assert _report(client, "solve") == 200
    assert _report(client, "solve") == 200
    assert client.get("/pow").text.startswith("1.14.")  # full: the maximum


def _login(client: FlaskClient, receipt: str, with_pow: bool) -> tuple[int, str]:
    page = client.get("/follow-up?lang=en").text
    data = {"csrf_token": csrf_token(page), "receipt": receipt}
    if with_pow:
        data["pow"] = solve(_challenge(page))
    response = client.post("/follow-up?lang=en", data=data)
    return response.status_code, response.headers.get("Retry-After", "")


def test_ten_wrong_receipts_from_a_shared_address_shut_no_one_out_for_long(
    make_app: Callable[..., Flask],
) -> None:
    """An office network or a mobile carrier: many reporters, one address."""
    _not_near_a_window_end()
    app = make_app(client_logins=10, pow_bits=8, pow_max_bits=8)
    owner = app.test_client()
    owner.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    page = owner.get("/report").text
    words = receipt_words(owner.post("/report", data={
        "csrf_token": csrf_token(page), "what_happened": "x", "understood": "y"},
        follow_redirects=True).text)
    attacker = app.test_client()
    attacker.environ_base["REMOTE_ADDR"] = "192.0.2.9"
    for _ in range(10):
        assert _login(attacker, "feil " * 8, False)[0] == 200
    status, retry_after = _login(owner, " ".join(words), False)
    assert status == 429 and 1 <= int(retry_after) <= 60  # a minute at most, not an hour
    # With JavaScript the reporter behind the same address is not held up at all.
    page = owner.get("/follow-up").text
    reply = owner.post("/follow-up", data={
        "csrf_token": csrf_token(page), "receipt": " ".join(words),
        "pow": solve(_challenge(page))})
    assert reply.status_code == 303 and reply.headers["Location"].endswith("/thread")


@pytest.mark.parametrize("path", ["/report", "/follow-up"])
def test_without_javascript_the_form_still_works(client: FlaskClient, path: str) -> None:
    page = client.get(path).text
    data = {"csrf_token": csrf_token(page), "pow": ""}
    data |= {"what_happened": "x", "understood": "y"} if path == "/report" else {
        "receipt": "feil " * 8}
    assert client.post(path, data=data, follow_redirects=True).status_code == 200


def test_the_protocol_example_holds() -> None:
    text = (ROOT / "docs/PROTOCOL.md").read_text()
    challenge = "1.12.1800000000.AAAAAAAAAAAAAAAAAAAAAA.QHG1cf4aP9gYcsyRSpgNbQ"
    solution = challenge + ".1215"
    digest = "000ce4f487f71149455f407142da06d72d350bc0fcf123b746cca69d024bc34a"
    assert challenge in text and solution in text and digest in text
    assert make_challenge.__module__ == "portal.pow"
    assert verify(bytes(32), solution, 1_800_000_000 - 600, 12) is not None
    assert solve(challenge) == solution
    assert hashlib.sha256(solution.encode()).hexdigest() == digest
