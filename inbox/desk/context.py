"""What a view needs from the run: the desk's state, the store opened per request, and the
request's day."""

from datetime import date
from typing import TYPE_CHECKING

from flask import current_app, g

from .. import clock
from ..store import Store

if TYPE_CHECKING:
    from . import DeskState


def desk_state() -> "DeskState":
    state: DeskState = current_app.extensions["varsel_desk"]
    return state


def store() -> Store:
    """The encrypted store for this request (closed when the request ends)."""
    if "store" not in g:
        state = desk_state()
        g.store = Store.open(state.home, state.unlocked.store_key)
    opened: Store = g.store
    return opened


def today() -> date:
    """The day of this request: the one place the desk reads the clock."""
    if "today" not in g:
        g.today = clock.today()
    day: date = g.today
    return day


def close_store(_: BaseException | None = None) -> None:
    opened = g.pop("store", None)
    if opened is not None:
        opened.close()
