"""deploy/: the systemd units parse (systemd-analyze verify), and the compose file's
services, volumes and port agree with the Dockerfile. nginx's files run for real in
test_slow_clients.py."""

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from .conftest import DEPLOY, ROOT, VENV_BIN

UNITS = (
    "varsel.service",
    "varsel-purge.service",
    "varsel-purge.timer",
    "varsel-alerts.service",
    "varsel-alerts.timer",
)


def _installed_units(tmp_path: Path, names: tuple[str, ...]) -> list[Path]:
    """The units with this checkout's venv and an empty environment file in place of
    /opt/varsel/.venv and /etc/varsel/varsel.env (verify checks that both exist)."""
    env_file = tmp_path / "varsel.env"
    env_file.write_text("VARSEL_DATA_DIR=/var/lib/varsel\n")
    paths = []
    for name in names:
        text = (DEPLOY / "systemd" / name).read_text()
        text = text.replace("/opt/varsel/.venv/bin", str(VENV_BIN))
        text = text.replace("/etc/varsel/varsel.env", str(env_file))
        (tmp_path / name).write_text(text)
        paths.append(tmp_path / name)
    return paths


def _verify(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing (scripts/ensure-system-packages.sh installs it)"
    return subprocess.run(
        [analyze, "verify", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=paths[0].parent,
    )


def test_systemd_units_verify_without_a_warning(tmp_path: Path) -> None:
    names = tuple(sorted(p.name for p in (DEPLOY / "systemd").iterdir()))
    assert set(UNITS) <= set(names)
    result = _verify(_installed_units(tmp_path, names))
    assert result.returncode == 0, result.stderr
    # verify also reports mistakes it only ignores (an unknown key, a bad value) on stderr
    ours = [line for line in (result.stdout + result.stderr).splitlines() if str(tmp_path) in line]
    assert ours == [], "\n".join(ours)


def test_verify_would_catch_a_broken_unit(tmp_path: Path) -> None:
    """The check above can fail: a misspelt value is reported."""
    (path,) = _installed_units(tmp_path, ("varsel.service",))
    path.write_text(path.read_text().replace("Type=simple", "Type=simpel"))
    result = _verify([path])
    assert "simpel" in result.stdout + result.stderr


def test_each_timer_starts_a_unit_that_exists() -> None:
    for timer in (DEPLOY / "systemd").glob("*.timer"):
        service = timer.with_suffix(".service")
        assert service.exists(), f"{timer.name} has no {service.name}"
        assert "OnCalendar=" in timer.read_text()
        assert re.search(
            r"^ExecStart=/opt/varsel/\.venv/bin/varsel-portal \S+", service.read_text(), flags=re.M
        )


def test_compose_file_matches_the_dockerfile() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    dockerfile = (ROOT / "Dockerfile").read_text()
    volumes = set(
        re.findall(r'"(/[^"]+)"', re.search(r"^VOLUME\s+\[(.*)\]", dockerfile, re.M).group(1))
    )
    exposed = re.search(r"^EXPOSE\s+(\d+)", dockerfile, re.M).group(1)
    data_dir = re.search(r"VARSEL_DATA_DIR=(\S+)", dockerfile).group(1)

    assert set(compose["services"]) == {"portal", "db"}
    portal = compose["services"]["portal"]
    build = portal["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == ROOT / "Dockerfile"
    # Every volume the image declares is a named volume in compose, and nothing else is
    # mounted into the portal.
    mounts = {m.split(":")[1]: m.split(":")[0] for m in portal["volumes"]}
    assert set(mounts) == volumes
    assert set(mounts.values()) <= set(compose["volumes"])
    assert portal["environment"]["VARSEL_DATA_DIR"] == data_dir
    # Published on loopback only, to the port the image exposes.
    assert portal["ports"] == [f"127.0.0.1:{exposed}:{exposed}"]
    # The database: the service compose runs, with the driver the image installs.
    url = portal["environment"]["VARSEL_DATABASE_URL"]
    assert url.startswith("postgresql+psycopg://") and "@db/" in url
    assert "'.[postgres]'" in dockerfile
    db = compose["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert db["volumes"][0].split(":")[0] in compose["volumes"]
    assert portal["depends_on"]["db"]["condition"] == "service_healthy"
    assert re.fullmatch(r"postgres:\d+", db["image"]), "a pinned major version"
