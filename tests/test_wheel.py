"""A plain ``pip install`` gives a working portal (issue 9, item 4).

The wheel is built from the tracked files only (as from a clean clone), installed into a
fresh virtual environment outside the checkout, and its ``varsel-portal demo`` must serve
the landing page in bokmål with its stylesheet. The fresh environment borrows the runtime
dependencies from the test's own environment through a path entry (the registry is not
asked again), but not this checkout: ``portal`` must come from the wheel.
"""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

from conftest import free_port

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("nb", "nn", "en")


def _tracked_files() -> list[str]:
    return subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()


def _build_wheel(tmp: Path) -> Path:
    source = tmp / "source"
    for name in _tracked_files():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(tmp / "dist"), str(source)],
        capture_output=True, text=True, check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("varsel-*.whl")
    return wheel


def _get(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # 127.0.0.1 only
        return response.headers.get("Content-Type", ""), response.read()


def test_the_wheel_installs_and_serves_bokmal_with_its_css(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = _tracked_files()
    # Whole directories ride along: every asset and every data file in a package.
    for name in tracked:
        top = name.split("/", 1)[0]
        if top in ("templates", "static"):
            assert f"portal/{name}" in names, f"{name} is missing from the wheel"
        elif top in ("crypto", "portal", "inbox", "report_form") and not name.endswith(".py"):
            assert name in names, f"{name} is missing from the wheel"
    assert "report_form/questions.toml" in names  # the report's questions
    for lang in LANGUAGES:
        assert f"portal/translations/{lang}/LC_MESSAGES/messages.mo" in names
    for lang in ("nb", "nn"):  # click's words in varsel-inbox
        assert f"inbox/translations/{lang}/LC_MESSAGES/messages.mo" in names
    # The desk (varsel-inbox desk): its templates, stylesheet and compiled catalogues.
    assert "inbox/desk/templates/thread.html" in names
    assert "inbox/desk/static/desk.css" in names
    for lang in LANGUAGES:
        assert f"inbox/desk/translations/{lang}/LC_MESSAGES/messages.mo" in names
    for lang in ("nn", "en"):  # the inbox's bokmål labels need no bokmål catalogue
        assert f"inbox/desk/translations/{lang}/LC_MESSAGES/labels.mo" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, check=False,
    )
    assert installed.returncode == 0, installed.stderr
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip())
    # A plain path entry: .pth files in the borrowed directory (this checkout's editable
    # install among them) are not run, so `portal` can only come from the wheel.
    (purelib / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VARSEL_", "PYTHON"))}
    where = subprocess.run(
        [str(python), "-c", "import portal; print(portal.__file__)"],
        cwd=workdir, env=env, capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), where

    port = free_port()
    log = tmp_path / "portal.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(venv / "bin" / "varsel-portal"), "demo", "--port", str(port)],
            cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while "Stop with Ctrl+C" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        kind, body = _get(f"http://127.0.0.1:{port}/")
        page = body.decode()
        assert kind.startswith("text/html")
        assert '<html lang="nb"' in page
        assert "Send et varsel" in page, "the landing page is in bokmål"
        css = re.search(r'<link rel="stylesheet" href="([^"]+\.css)[^"]*"', page)
        assert css, page
        kind, body = _get(f"http://127.0.0.1:{port}{css.group(1)}")
        assert kind.startswith("text/css") and b"{" in body
        assert (workdir / "var" / "keys" / "office.pub").is_file(), "data beside, not inside"
        # The report form asks the questions of the installed report_form/questions.toml.
        kind, body = _get(f"http://127.0.0.1:{port}/report")
        assert kind.startswith("text/html") and "Hva skjedde?" in body.decode()
    finally:
        process.terminate()
        process.wait(timeout=10)
