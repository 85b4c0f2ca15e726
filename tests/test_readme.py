"""Every code block of README.md and docs/ marked ``# runnable`` runs as written against a fresh endpoint.

``# runnable`` blocks are scripts; ``# runnable: pytest`` blocks are test modules a user would copy, run with
pytest (the package's fixtures included). Every other Python block says why it is not run, in its first line:
``# not runnable: <reason>``. No document links outside the repository.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCUMENTS = [README, *sorted((ROOT / "docs").rglob("*.md"))]
# Every Markdown file a user may read: the front page, the docs, and the notes beside the code.
ALL_DOCUMENTS = sorted(
    {
        *DOCUMENTS,
        *ROOT.glob("*.md"),
        *(ROOT / "bench").rglob("*.md"),
        *(ROOT / "examples").rglob("*.md"),
    }
)
_BLOCK = re.compile(r"^```python\n(# runnable(?:: pytest)?\n.*?)^```", re.DOTALL | re.MULTILINE)
# Any fence that opens a Python block, whatever it is called; its first line must be a marker.
_PYTHON_FENCE = re.compile(r"^```[ \t]*(?:python3?|py|pycon)\b[^\n]*\n([^\n]*)", re.MULTILINE)
_MARKER = re.compile(r"# runnable(?:: pytest)?|# not runnable: \S.*")
# Inline links and images, and reference definitions: ``[text](target)``, ``[label]: target``.
_LINK = re.compile(
    r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)"  # [text](target "title")
    r"|^\s*\[[^\]]+\]:\s*<?(\S+?)>?\s*$",  # [label]: target
    re.MULTILINE,
)
# An internal work item: "issue 12", "issues show 3", "(#12)"; "USER#1" in an example key, or a link to a
# numbered heading "](#1-...)", is not one.
_ISSUE = re.compile(r"\bissues?\s+(?:show\s+)?#?\d+|(?<![\w#&])(?<!\]\()#\d+\b", re.IGNORECASE)


def runnable_blocks() -> list[tuple[str, str]]:
    """(where, source) of every runnable block, in document order."""
    blocks: list[tuple[str, str]] = []
    for document in DOCUMENTS:
        for index, source in enumerate(_BLOCK.findall(document.read_text(encoding="utf-8"))):
            blocks.append((f"{document.relative_to(ROOT)}:{index}", source))
    return blocks


BLOCKS = runnable_blocks()
IDS = [where for where, _ in BLOCKS]


def test_readme_opens_with_the_two_commands() -> None:
    head = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "make demo" in head
    assert "make test" in head


def test_readme_has_runnable_blocks() -> None:
    assert any(where.startswith("README.md") for where in IDS), "the README lost its runnable examples"


def unmarked_python_blocks(text: str) -> list[str]:
    """The first lines of the Python blocks in ``text`` that are neither run nor say why not."""
    return [first for first in _PYTHON_FENCE.findall(text) if not _MARKER.fullmatch(first.rstrip())]


def test_every_python_block_is_run_or_says_why_not() -> None:
    unmarked = {
        str(document.relative_to(ROOT)): found
        for document in DOCUMENTS
        if (found := unmarked_python_blocks(document.read_text(encoding="utf-8")))
    }
    assert not unmarked, f"Python blocks without '# runnable' or '# not runnable: <reason>': {unmarked}"


def test_the_marker_check_catches_an_unmarked_block() -> None:
    text = "```python\n# runnable\nx = 1\n```\n\n```py\nprint(1)\n```\n\n```python\n# not runnable:\n```\n"
    assert unmarked_python_blocks(text) == ["print(1)", "# not runnable:"]
    assert unmarked_python_blocks("```python\n# not runnable: needs AWS credentials\n```\n") == []


def links_outside_the_repository(document: Path, text: str) -> list[str]:
    """Link targets and mentions in ``text`` that a reader of this repository alone could not follow."""
    problems = [f"issue reference {m.group(0)!r}" for m in _ISSUE.finditer(text)]
    problems += [f"mention of {p!r}" for p in ("../shared", "shared/spec") if p in text]
    for match in _LINK.finditer(text):
        target = match.group(1) or match.group(2)
        if re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
            problems.append(f"external link {target}")
            continue
        path = target.split("#", 1)[0]
        if not path:
            continue  # an anchor on the same page
        resolved = (document.parent / path).resolve()
        if not resolved.is_relative_to(ROOT):
            problems.append(f"link outside the repository {target}")
        elif not resolved.exists():
            problems.append(f"broken link {target}")
    return problems


def test_no_document_links_outside_the_repository() -> None:
    found = {
        str(document.relative_to(ROOT)): problems
        for document in ALL_DOCUMENTS
        if (problems := links_outside_the_repository(document, document.read_text(encoding="utf-8")))
    }
    assert not found, found


def test_the_link_check_catches_what_it_should() -> None:
    document = ROOT / "docs" / "page.md"
    text = (
        "See [spec](../../shared/spec/wire-format.md), [site](https://example.com/x), "
        "[gone](missing.md) and [ok](testing.md#in-memory), [top](#top), done in issue 15 (#7). "
        'Key "USER#1" is fine.\n'
    )
    problems = links_outside_the_repository(document, text)
    assert problems == [
        "issue reference 'issue 15'",
        "issue reference '#7'",
        "mention of '../shared'",
        "mention of 'shared/spec'",
        "link outside the repository ../../shared/spec/wire-format.md",
        "external link https://example.com/x",
        "broken link missing.md",
    ]


@pytest.mark.integration
@pytest.mark.parametrize("block", BLOCKS, ids=IDS)
def test_block_runs_against_dynamodb_endpoint(
    block: tuple[str, str], dynamorm_local: Any, tmp_path: Path
) -> None:
    env = clean_environment()
    env.update(
        DYNAMODB_ENDPOINT=dynamorm_local.endpoint_url,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=dynamorm_local.region,
    )
    run_block(block, env, tmp_path)


# The pages a new reader runs first, before exporting anything. Every other block uses the same
# dynamodb_from_environment() call, so running them once, against the session's endpoint, covers them.
FIRST_STEPS = [
    block for block in BLOCKS if block[0].split(":")[0] in ("README.md", "docs/getting-started.md")
]


@pytest.mark.integration
@pytest.mark.parametrize("block", FIRST_STEPS, ids=[where for where, _ in FIRST_STEPS])
def test_block_runs_without_dynamodb_endpoint(block: tuple[str, str], tmp_path: Path) -> None:
    # A reader who exported nothing: the block starts its own embedded server.
    run_block(block, clean_environment(), tmp_path)


def clean_environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DYNAMODB_ENDPOINT", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        env.pop(name, None)
    return env


def run_block(block: tuple[str, str], env: dict[str, str], tmp_path: Path) -> None:
    where, source = block
    name = re.sub(r"\W", "_", where)
    if source.startswith("# runnable: pytest"):
        script = tmp_path / f"test_{name}.py"
        command = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            str(script),
        ]
    else:
        script = tmp_path / f"{name}.py"
        command = [sys.executable, str(script)]
    script.write_text(source, encoding="utf-8")
    done = subprocess.run(
        command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{where} failed:\n{done.stdout}\n{done.stderr}"
