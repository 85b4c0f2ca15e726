"""Every README code block marked ``# runnable`` runs as written against a fresh local endpoint."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```python\n(# runnable\n.*?)^```", re.DOTALL | re.MULTILINE)


def runnable_blocks() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


def test_readme_opens_with_the_two_commands() -> None:
    head = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "make demo" in head
    assert "make test" in head


def test_readme_has_runnable_blocks() -> None:
    assert runnable_blocks(), "the README lost its runnable examples"


@pytest.mark.integration
@pytest.mark.parametrize("index", range(len(runnable_blocks())))
def test_readme_block_runs_against_dynamodb_endpoint(index: int, dynamorm_local: Any, tmp_path: Path) -> None:
    env = clean_environment()
    env.update(
        DYNAMODB_ENDPOINT=dynamorm_local.endpoint_url,
        AWS_ACCESS_KEY_ID="local",
        AWS_SECRET_ACCESS_KEY="local",
        AWS_DEFAULT_REGION=dynamorm_local.region,
    )
    run_block(index, env, tmp_path)


@pytest.mark.integration
@pytest.mark.parametrize("index", range(len(runnable_blocks())))
def test_readme_block_runs_without_dynamodb_endpoint(index: int, tmp_path: Path) -> None:
    # A reader who exported nothing: the block starts its own embedded server.
    run_block(index, clean_environment(), tmp_path)


def clean_environment() -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DYNAMODB_ENDPOINT", "AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION"):
        env.pop(name, None)
    return env


def run_block(index: int, env: dict[str, str], tmp_path: Path) -> None:
    script = tmp_path / f"readme_block_{index}.py"
    script.write_text(runnable_blocks()[index], encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"README block {index} failed:\n{done.stdout}\n{done.stderr}"
