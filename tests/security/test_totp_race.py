"""Issue 7, item 7: a TOTP code is spent once however many logins race with it, and every
one of many parallel wrong codes counts towards the lock. Real threads against a real
server (Werkzeug's threaded server on 127.0.0.1) and its SQLite file."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import LiveServer
from live_portal import logged_in, office_login, office_row, set_up_office_user

from portal.office_users import MAX_FAILURES


@pytest.fixture
def live_server_env() -> dict[str, str]:
    # Enough argon2 slots and queue (4 waiters per slot) that no attempt is shed as busy.
    return {"VARSEL_ARGON2_WAIT_SECONDS": "120", "VARSEL_ARGON2_CONCURRENCY": "4"}


def test_parallel_logins_with_one_code_let_exactly_one_in(live_server: LiveServer) -> None:
    user = set_up_office_user(live_server)
    code = user.code(user.setup_step + 1)
    with ThreadPoolExecutor(max_workers=6) as pool:
        pages = list(
            pool.map(lambda _: office_login(live_server, user.name, user.password, code), range(6))
        )
    assert sum(logged_in(p) for p in pages) == 1, [p.status for p in pages]
    assert sorted(p.status for p in pages if not logged_in(p)) == [401] * 5
    # The five replays count as failures, and the fifth failure locks the user.
    assert office_row(live_server, user.name)["failed_logins"] == MAX_FAILURES


def test_parallel_wrong_codes_each_count_and_lock(live_server: LiveServer) -> None:
    user = set_up_office_user(live_server)
    step = user.setup_step + 1
    valid = {user.code(s) for s in range(step - 2, step + 3)}
    wrong = next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in valid)
    attempts = 16
    with ThreadPoolExecutor(max_workers=attempts) as pool:
        pages = list(
            pool.map(lambda _: office_login(live_server, user.name, user.password, wrong),
                     range(attempts))
        )
    assert [p.status for p in pages] == [401] * attempts
    row = office_row(live_server, user.name)
    # Before a lock is set every failure is counted; once locked, the rest are refused
    # (and may be counted too): at least MAX_FAILURES, never fewer, and the lock holds.
    assert int(str(row["failed_logins"])) >= MAX_FAILURES
    assert row["locked_until"] is not None
    assert not logged_in(office_login(live_server, user.name, user.password, user.code(step)))
