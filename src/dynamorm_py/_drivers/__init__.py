"""The drivers: they move the core's effects through a client (sync or asyncio) and hold no other logic."""

__all__: list[str] = []
