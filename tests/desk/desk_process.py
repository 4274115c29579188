"""``varsel-inbox desk`` as its own process, as the office starts it (``--no-browser``: the
test's Chromium opens the address it prints)."""

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

# The full loop's helpers (tests/e2e/test_full_loop.py) serve the desk's tests too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))

from conftest import stop_process
from inbox_process import PASSPHRASE

BIN = Path(sys.executable).parent


@dataclass
class Desk:
    process: subprocess.Popen[str]
    start_url: str
    lines: "queue.Queue[str]"

    @property
    def base(self) -> str:
        return self.start_url.split("/start/", 1)[0]

    def stop(self) -> str:
        """End the process (if the test did not lock it) and return what it printed."""
        stop_process(self.process)
        printed = []
        while not self.lines.empty():
            printed.append(self.lines.get())
        return "".join(printed)

    def wait_for_exit(self, seconds: float) -> int:
        return self.process.wait(timeout=seconds)


def start_desk(home: Path, *args: str) -> Desk:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VARSEL_")}
    env["VARSEL_INBOX_PASSPHRASE"] = PASSPHRASE
    process = subprocess.Popen(
        [str(BIN / "varsel-inbox"), "--home", str(home), "desk", "--no-browser", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process.stdout, lines), daemon=True).start()
    deadline = time.monotonic() + 90  # unlocking the key takes a few seconds
    printed = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        printed.append(line)
        if line.startswith("http://127.0.0.1:"):
            return Desk(process, line.strip(), lines)
    process.kill()
    raise AssertionError("the desk did not print its address:\n" + "".join(printed))


def _read_lines(stream: IO[str], lines: "queue.Queue[str]") -> None:
    for line in stream:
        lines.put(line)
