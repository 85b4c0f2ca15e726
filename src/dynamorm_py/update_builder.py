"""``UpdateBuilder[T]``: a fluent UpdateItem (its driver lives in ``dynamorm_py._drivers.update_builder``)."""

from ._drivers.update_builder import AsyncUpdateBuilder, UpdateBuilder

__all__ = ["AsyncUpdateBuilder", "UpdateBuilder"]
