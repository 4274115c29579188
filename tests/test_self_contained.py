"""The project explains itself: code, tests and docs cite only what is in the repository.

Security requirements live in docs/THREAT-MODEL.md as a numbered list; every citation of
"THREAT-MODEL.md, requirement N" must name an N on that list, and no file may point at a
design card or review labels that are not part of the repository.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Built from pieces so that this file does not match its own patterns.
_FORBIDDEN = [
    re.compile("DESIGN" + r"(\.md)?\s+req"),
    re.compile("DESIGN" + r"\.md"),
    re.compile("REVIEW" + r"\s+F\d"),
    re.compile(r"\.\./" + "shared/"),
]
_CITATION = re.compile(r"THREAT-MODEL\.md,\s+requirements?\s+([\d ,and]+)")


def _tracked_text_files() -> list[Path]:
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    out = []
    for name in listing:
        path = ROOT / name
        if not name or not path.is_file() or path.suffix in {".json", ".mo", ".png", ".svg"}:
            continue
        out.append(path)
    return out


def _requirement_numbers() -> set[int]:
    text = (ROOT / "docs/THREAT-MODEL.md").read_text()
    section = text.split("## Security requirements", 1)[1].split("\n## ", 1)[0]
    return {int(n) for n in re.findall(r"^(\d+)\. \*\*", section, flags=re.M)}


def test_the_threat_model_lists_numbered_requirements_with_tests() -> None:
    text = (ROOT / "docs/THREAT-MODEL.md").read_text()
    section = text.split("## Security requirements", 1)[1].split("\n## ", 1)[0]
    numbers = _requirement_numbers()
    assert numbers == set(range(1, len(numbers) + 1)) and len(numbers) >= 9
    items = re.split(r"^\d+\. ", section, flags=re.M)[1:]
    for number, item in enumerate(items, start=1):
        tests = re.findall(r"`(tests/[\w/]+\.py)`", item)
        assert tests, f"requirement {number} names no test"
        for test in tests:
            assert (ROOT / test).is_file(), f"requirement {number} names missing {test}"


def test_no_file_cites_documents_outside_the_repository() -> None:
    offenders = []
    for path in _tracked_text_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for pattern in _FORBIDDEN:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not offenders, "citations of documents not in the repository:\n" + "\n".join(
        offenders
    )


def test_every_requirement_citation_names_a_listed_requirement() -> None:
    numbers = _requirement_numbers()
    cited = 0
    for path in _tracked_text_files():
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue
        for match in _CITATION.finditer(text):
            for n in re.findall(r"\d+", match.group(1)):
                cited += 1
                assert int(n) in numbers, f"{path.relative_to(ROOT)} cites requirement {n}"
    assert cited >= 20  # the code does cite the list
