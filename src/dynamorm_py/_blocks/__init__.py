"""Pure building blocks: attributes and models, the codec, expression pieces, cursors, envelopes. No I/O."""

__all__: list[str] = []
