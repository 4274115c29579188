"""Issue 7, item 2: an over-long password is a wrong password, and wrong passwords never
lock an office user out (docs/THREAT-MODEL.md). Through the real office login over HTTP."""


import pytest
from conftest import LiveServer
from live_portal import logged_in, office_login, office_row, set_up_office_user

from portal.office_users import MAX_FAILURES, MAX_PASSWORD


@pytest.fixture
def live_server_env() -> dict[str, str]:
    return {"VARSEL_ARGON2_WAIT_SECONDS": "60"}


def test_over_long_passwords_do_not_lock_the_user_out(live_server: LiveServer) -> None:
    user = set_up_office_user(live_server)
    step = user.setup_step + 1  # the setup spent its own step
    too_long = "x" * (MAX_PASSWORD + 1)
    for _ in range(MAX_FAILURES * 2):
        page = office_login(live_server, user.name, too_long, user.code(step))
        assert page.status == 401 and not logged_in(page)
    row = office_row(live_server, user.name)
    assert row["failed_logins"] == 0 and row["locked_until"] is None
    # The right password and code still get in at once.
    page = office_login(live_server, user.name, user.password, user.code(step))
    assert logged_in(page), page.status


def test_wrong_passwords_of_normal_length_do_not_count_either(live_server: LiveServer) -> None:
    user = set_up_office_user(live_server)
    step = user.setup_step + 1
    for _ in range(MAX_FAILURES + 1):
        page = office_login(live_server, user.name, "et feil passord, men langt", user.code(step))
        assert page.status == 401
    assert office_row(live_server, user.name)["failed_logins"] == 0
    assert logged_in(office_login(live_server, user.name, user.password, user.code(step)))
