"""Pure building blocks: model data, the codec, expressions, cursors, typed JSON. No I/O."""
