"""Model definitions: dataclass fields with DynamoDB options, indexes, and the compiled model.

``ModelDefinition.from_dataclass`` reads a dataclass once: it resolves annotations, validates keys, roles,
indexes and attribute names, and compiles the model's codec. Nothing is rediscovered per call. The
declarations live in ``dynamorm_py._blocks.attributes``, the compiled model in ``dynamorm_py._blocks.model``.

``sk_prefix``, ``pk_prefix`` and ``attribute_equals`` build a model's ``matches`` predicate, which tells its
items apart in a table shared with other models (``dynamorm_py._blocks.matching``).
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
from ._blocks.matching import ItemMatcher, attribute_equals, pk_prefix, sk_prefix
from ._blocks.model import ModelDefinition
from .errors import ModelDefinitionError

__all__ = [
    "AttributeConverter",
    "AttributeDefinition",
    "IndexDefinition",
    "IndexSpec",
    "ItemMatcher",
    "ModelDefinition",
    "ModelDefinitionError",
    "Projection",
    "attribute_equals",
    "dynamorm_field",
    "gsi",
    "lsi",
    "pk_prefix",
    "sk_prefix",
]
