"""DMS schema documents: load, validate, build models, export, and compare with code-defined models.

A DMS document is the language-neutral schema the DynamORM family shares, so a Python service can run from the
same ``.yml`` a Go or TypeScript service uses. Parsing follows YAML 1.2 core-schema rules (``yes``/``on``
stay strings, ``017`` is 17) so that every implementation reads the same values, and every rule of the format
is checked on load, with errors naming the model and the attribute at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from ._blocks import dms as _dms
from ._blocks.dms import DmsWarning, get_dms_model, load_dms_file, parse_dms_document
from .errors import ValidationError
from .model import ModelDefinition

__all__ = [
    "DmsWarning",
    "assert_model_definition_equivalent_to_dms",
    "dump_dms_document",
    "get_dms_model",
    "load_dms_file",
    "models_from_dms",
    "parse_dms_document",
]


def models_from_dms(
    doc: Mapping[str, Any] | str, *, enforce_naming: bool = True
) -> dict[str, ModelDefinition[Any]]:
    """Every model of a DMS document (text or parsed), keyed by name, in document order."""
    models: dict[str, ModelDefinition[Any]] = _dms.models_from_dms(
        ModelDefinition, doc, enforce_naming=enforce_naming
    )
    return models


def dump_dms_document(
    models: Sequence[ModelDefinition[Any]],
    *,
    namespace: str | None = None,
    format: Literal["yaml", "json"] = "yaml",
) -> str:
    """The text of one DMS document holding ``models`` (YAML with every string double-quoted, or JSON)."""
    if isinstance(models, ModelDefinition) or not isinstance(models, Sequence):
        raise _argument_error("models must be a list of ModelDefinition")
    for model in models:
        if not isinstance(model, ModelDefinition):
            raise _argument_error(f"models must hold ModelDefinition values, not {type(model).__name__}")
    return _dms.dump_dms_document(models, namespace=namespace, format=format)


def assert_model_definition_equivalent_to_dms(
    model: ModelDefinition[Any], dms_model: Mapping[str, Any], *, ignore_table_name: bool
) -> None:
    """Raise ``ValidationError`` (ErrInvalidModel) unless ``model`` and the DMS model describe the same table.

    ``required``/``optional`` are compared only where the DMS attribute states them; ``namespace``,
    ``naming``, ``format`` and ``tags`` are not compared.
    """
    _dms.assert_model_definition_equivalent_to_dms(model, dms_model, ignore_table_name=ignore_table_name)


def _argument_error(message: str) -> ValidationError:
    return _dms.argument_error(message, field="models", operation="dump_dms_document")


# Users import these from dynamorm_py.dms: tracebacks, reprs and pickles name that module.
DmsWarning.__module__ = "dynamorm_py.dms"
for _function in (get_dms_model, load_dms_file, parse_dms_document):
    _function.__module__ = "dynamorm_py.dms"
del _function
