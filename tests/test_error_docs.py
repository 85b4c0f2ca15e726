"""docs/errors.md documents every error code constant and every exception class of ``dynamorm_py.errors``."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from dynamorm_py import errors

ERRORS_PAGE = Path(__file__).resolve().parent.parent / "docs" / "errors.md"
CODES = sorted(
    value for name, value in vars(errors).items() if name.startswith("ERR_") and isinstance(value, str)
)
CLASSES = sorted(
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, BaseException) and value.__module__ == errors.__name__
)


def documented_words() -> set[str]:
    return set(re.findall(r"\w+", ERRORS_PAGE.read_text(encoding="utf-8")))


def test_the_errors_module_has_codes_and_classes() -> None:
    assert "ErrInvalidCursor" in CODES and "OutcomeUnknownError" in CLASSES


@pytest.mark.parametrize("code", CODES)
def test_every_error_code_is_documented(code: str) -> None:
    assert code in documented_words(), f"docs/errors.md does not mention {code}"


@pytest.mark.parametrize("code", CODES)
def test_every_error_code_has_its_own_section(code: str) -> None:
    headings = re.findall(r"^### (\w+)", ERRORS_PAGE.read_text(encoding="utf-8"), re.MULTILINE)
    assert code in headings, f"docs/errors.md has no '### {code}' section"


@pytest.mark.parametrize("name", CLASSES)
def test_every_exception_class_is_documented(name: str) -> None:
    assert name in documented_words(), f"docs/errors.md does not mention {name}"
