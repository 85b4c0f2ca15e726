"""``Table[T]`` and its asyncio twin ``AsyncTable[T]`` (drivers in ``dynamorm_py._drivers``)."""

from ._drivers.async_table import AsyncTable
from ._drivers.table import Table

__all__ = ["AsyncTable", "Table"]
