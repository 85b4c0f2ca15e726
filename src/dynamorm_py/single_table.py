"""``DynamormClient`` and ``AsyncDynamormClient``: single-table design, several models on one client."""

from ._drivers.async_client import AsyncDynamormClient
from ._drivers.client import DynamormClient

__all__ = ["AsyncDynamormClient", "DynamormClient"]
