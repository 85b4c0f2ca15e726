"""The package version: the raw string of the packaged ``version.json`` and its PEP 440 form."""

from __future__ import annotations

import json
import re
from importlib import resources

__all__ = ["FALLBACK_VERSION", "__repo_version__", "__version__", "pep440_version", "read_repo_version"]

FALLBACK_VERSION = "0.0.0"

_RELEASE_CANDIDATE = re.compile(r"(\d+\.\d+\.\d+)-rc\.?(\d+)")


def read_repo_version() -> str:
    """The ``version`` string of the packaged ``version.json``; ``"0.0.0"`` when missing or unreadable."""
    try:
        text = resources.files("dynamorm_py").joinpath("version.json").read_text(encoding="utf-8")
        version = json.loads(text)["version"]
    except (OSError, ValueError, LookupError, TypeError):
        return FALLBACK_VERSION
    return version if isinstance(version, str) and version else FALLBACK_VERSION


def pep440_version(raw: str) -> str:
    """``X.Y.Z-rc.N`` and ``X.Y.Z-rcN`` become ``X.Y.ZrcN``; anything else is returned unchanged."""
    match = _RELEASE_CANDIDATE.fullmatch(raw)
    return f"{match[1]}rc{match[2]}" if match else raw


__repo_version__ = read_repo_version()
__version__ = pep440_version(__repo_version__)
