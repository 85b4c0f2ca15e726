"""Model definitions: dataclass fields with DynamoDB options, indexes, and the compiled model.

``ModelDefinition.from_dataclass`` reads a dataclass once: it resolves annotations, validates keys, roles,
indexes and attribute names, and compiles the model's codec. Nothing is rediscovered per call. The
declarations live in ``dynamorm_py._blocks.attributes``, the compiled model in ``dynamorm_py._blocks.model``.
"""

from __future__ import annotations

from ._blocks.attributes import (
    AttributeConverter,
    AttributeDefinition,
    IndexDefinition,
    IndexSpec,
    Projection,
    dynamorm_field,
    gsi,
    lsi,
)
from ._blocks.model import ModelDefinition
from .errors import ModelDefinitionError

__all__ = [
    "AttributeConverter",
    "AttributeDefinition",
    "IndexDefinition",
    "IndexSpec",
    "ModelDefinition",
    "ModelDefinitionError",
    "Projection",
    "dynamorm_field",
    "gsi",
    "lsi",
]
