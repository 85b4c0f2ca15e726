"""``UpdateBuilder[T]`` and ``AsyncUpdateBuilder[T]``: a fluent UpdateItem (defined in ``_drivers``)."""

from ._drivers.update_builder import AsyncUpdateBuilder, UpdateBuilder

__all__ = ["AsyncUpdateBuilder", "UpdateBuilder"]
