"""``DynamormClient`` and ``AsyncDynamormClient``: several models, one client (drivers in ``_drivers``)."""

from ._drivers.async_client import AsyncDynamormClient
from ._drivers.client import DynamormClient

__all__ = ["AsyncDynamormClient", "DynamormClient"]
