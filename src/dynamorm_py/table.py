"""``Table[T]``, the synchronous table (its driver lives in ``dynamorm_py._drivers.table``)."""

from ._drivers.table import Table

__all__ = ["Table"]
