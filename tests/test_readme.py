"""Every code block of README.md and docs/ marked ``# runnable`` runs as written against a fresh endpoint.

``# runnable`` blocks are scripts; ``# runnable: pytest`` blocks are test modules a user would copy, run with
pytest (the package's fixtures included).
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
DOCUMENTS = [README, *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```python\n(# runnable(?:: pytest)?\n.*?)^```", re.DOTALL | re.MULTILINE)


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


@pytest.mark.integration
@pytest.mark.parametrize("block", BLOCKS, ids=IDS)
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
