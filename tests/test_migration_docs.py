"""docs/migration-dynamorm-sdk.md covers every intentional difference from the DynamORM Python SDK.

``DIFFERENCES`` is the list of numbered differences (Δ1 ... Δ27) the library documents; each must have its
own section with the SDK code before and the dynamorm-py code after.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parent.parent / "docs" / "migration-dynamorm-sdk.md"
DIFFERENCES = list(range(1, 28))


def sections() -> dict[int, str]:
    """Δ number -> the text of its section (up to the next heading)."""
    text = PAGE.read_text(encoding="utf-8")
    found: dict[int, str] = {}
    for match in re.finditer(r"^### Δ(\d+)\b.*?(?=^#{2,3} |\Z)", text, re.MULTILINE | re.DOTALL):
        found[int(match.group(1))] = match.group(0)
    return found


def test_no_section_names_an_unknown_difference() -> None:
    assert set(sections()) <= set(DIFFERENCES)


@pytest.mark.parametrize("number", DIFFERENCES, ids=[f"delta{n}" for n in DIFFERENCES])
def test_every_difference_has_a_section_with_before_and_after_code(number: int) -> None:
    section = sections().get(number)
    assert section is not None, f"docs/migration-dynamorm-sdk.md has no '### Δ{number}' section"
    assert "```python\n# not runnable: the DynamORM Python SDK" in section, f"Δ{number} has no before code"
    assert "```python\n# runnable" in section, f"Δ{number} has no runnable after code"
