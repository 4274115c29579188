"""The desk's server: one loopback socket, the browser, and locking.

The server binds 127.0.0.1 on a port the system chooses (a free one), serves one request
at a time, and writes no request log (nothing about what was opened when). A watchdog
stops it when the office locks the desk or when it has been idle for the chosen time;
then ``serve`` returns and the command ends, and the unlocked key goes with the process.
"""

import threading
import time
import webbrowser
from collections.abc import Callable
from typing import Any

from werkzeug.serving import WSGIRequestHandler, make_server

from ..home import Home, Unlocked
from . import DeskState, create_app

HOST = "127.0.0.1"
LOCKED_GRACE = 1.5  # seconds


class QuietHandler(WSGIRequestHandler):
    """No access log: the desk keeps no record of what was read when."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


def serve(
    home: Home,
    unlocked: Unlocked,
    *,
    idle_seconds: float,
    open_browser: bool,
    say: Callable[[str], None],
) -> None:
    state = DeskState(home=home, unlocked=unlocked, idle_seconds=idle_seconds)
    app = create_app(state)
    server = make_server(HOST, 0, app, threaded=False, request_handler=QuietHandler)
    state.host = f"{HOST}:{server.port}"
    url = f"http://{state.host}/start/{state.start_token}"

    def watch() -> None:
        while not state.locked.wait(1.0):
            if state.idle():
                state.lock()
        time.sleep(LOCKED_GRACE)  # pages are refused already; let the last one load
        server.shutdown()

    watchdog = threading.Thread(target=watch, name="desk-lock", daemon=True)
    watchdog.start()
    say(url)
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        state.lock()
        server.server_close()
        watchdog.join(timeout=5)
