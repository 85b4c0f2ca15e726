"""The sans-I/O core: every operation once, as a generator of effects over the building blocks."""

__all__: list[str] = []
