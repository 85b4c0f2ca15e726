"""``Table[T]`` and its asyncio twin ``AsyncTable[T]`` (drivers in ``dynamorm_py._drivers``).

Each resolves on first use, so a program that only needs ``Table`` never imports asyncio.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._drivers.async_table import AsyncTable
    from ._drivers.table import Table

__all__ = ["AsyncTable", "Table"]

_DEFINED_IN = {"Table": "._drivers.table", "AsyncTable": "._drivers.async_table"}


def __getattr__(name: str) -> Any:
    module_name = _DEFINED_IN.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name, "dynamorm_py"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
