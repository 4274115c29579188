"""The repository's shape and its two README commands (issue 2: layout and packaging)."""

import re
import shlex
import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_top_level_layout_matches_the_design_card() -> None:
    for name in ("crypto", "portal", "inbox", "templates", "static", "tests", "docs"):
        assert (ROOT / name).is_dir(), name
    for name in ("pyproject.toml", "Dockerfile", "README.md", "Makefile", ".ci/run"):
        assert (ROOT / name).is_file(), name


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci/run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make test" in ci
    assert "make test" in readme and "make run" in readme


def test_console_scripts_point_at_real_functions() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    scripts = project["scripts"]
    assert set(scripts) == {"varsel-portal", "varsel-inbox"}
    for target in scripts.values():
        module, _, attr = target.partition(":")
        mod = __import__(module, fromlist=[attr])
        assert callable(getattr(mod, attr))


def test_dockerfile_names_only_things_that_exist() -> None:
    text = (ROOT / "Dockerfile").read_text()
    for src in re.findall(r"^COPY\s+(\S+)", text, flags=re.M):
        for part in src.split():
            assert (ROOT / part).exists(), f"Dockerfile copies missing {part}"
    # Every package the wheel carries is copied in before `pip install .` builds it.
    find = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    copied = re.findall(r"^COPY\s+(\S+)", text, flags=re.M)
    for package in find["packages"]["find"]["include"]:
        assert package.rstrip("*") in copied, f"Dockerfile does not copy {package}"
    cmd = re.search(r"^CMD\s+(\[.*?\])", text, flags=re.M | re.S)
    assert cmd, "Dockerfile has a CMD"
    assert "portal:create_app()" in cmd.group(1)
    assert "--access-logfile" not in text  # an access log would record client addresses
    assert re.search(r"^USER\s+varsel", text, flags=re.M), "runs as a non-root user"
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert any(d.startswith("gunicorn") for d in deps)
    for line in re.findall(r"pybabel compile[^\\\n&]*", text):
        args = shlex.split(line)
        assert (ROOT / args[args.index("-d") + 1]).is_dir()


def _make_dry_run(target: str, tmp_path: Path) -> str:
    """What `make TARGET` would run on a machine without a virtual environment."""
    result = subprocess.run(
        ["make", "-n", target, f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_run_installs_only_the_runtime_dependencies(tmp_path: Path) -> None:
    run = _make_dry_run("run", tmp_path)
    installs = [line for line in run.splitlines() if "pip install" in line and "-e" in line]
    assert installs, run
    assert all("[dev]" not in line for line in installs), run
    assert "varsel-portal demo" in run
    test = _make_dry_run("test", tmp_path)
    assert any("pip install" in line and "'.[dev]'" in line for line in test.splitlines())
    assert "pytest" in test


def test_the_vendored_libsodium_is_the_pinned_npm_package() -> None:
    """static/vendor/ is committed (the wheel is built from tracked files) and must be the
    files of the exact versions package-lock.json pins, as scripts/vendor-js.sh places
    them (`make test` runs it first, so node_modules/ is there)."""
    import json

    lock = json.loads((ROOT / "package-lock.json").read_text())
    declared = json.loads((ROOT / "package.json").read_text())
    for name, wanted in {**declared["dependencies"], **declared["devDependencies"]}.items():
        assert re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", wanted), f"{name} is not pinned exactly"
        entry = lock["packages"][f"node_modules/{name}"]
        assert entry["version"] == wanted and entry["integrity"].startswith("sha512-")
    modules = ROOT / "node_modules"
    assert modules.is_dir(), "run scripts/vendor-js.sh (make test does) to install node_modules"
    pairs = {
        "libsodium-sumo.js": "libsodium-sumo/dist/modules-sumo/libsodium-sumo.js",
        "libsodium-wrappers.js": "libsodium-wrappers-sumo/dist/modules-sumo/libsodium-wrappers.js",
    }
    for vendored, source in pairs.items():
        assert (ROOT / "static/vendor" / vendored).read_bytes() == (modules / source).read_bytes()
    assert sorted(p.name for p in (ROOT / "static/vendor").iterdir()) == sorted(pairs)
