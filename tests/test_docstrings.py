"""Every public name, and every public method of a public class, has a docstring.

The API reference (docs/reference/) is generated from these docstrings: a name without one would appear
there as a bare signature.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

import dynamorm_py
from test_public_api import SUBMODULE_NAMES


def public_objects() -> dict[str, Any]:
    """Qualified name -> object, for every public class and function users import."""
    found: dict[str, Any] = {}
    for name in dynamorm_py.__all__:
        if not name.startswith("_"):
            found[f"dynamorm_py.{name}"] = getattr(dynamorm_py, name)
    for module_name, names in SUBMODULE_NAMES.items():
        module = importlib.import_module(module_name)
        for name in names:
            if not name.startswith("_"):
                found[f"{module_name}.{name}"] = getattr(module, name)
    # Aliases of outside types (``schema.BillingMode`` is ``str``) are documented where they are defined.
    return {
        name: obj
        for name, obj in found.items()
        if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__.startswith("dynamorm_py")
    }


def own_docstring(obj: Any) -> str | None:
    """The docstring written for ``obj``, not one Python made up (a dataclass's signature) or inherited."""
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip():
        return None
    if inspect.isclass(obj) and doc.startswith(f"{obj.__name__}("):
        return None  # the signature @dataclass writes when the class has no docstring
    return doc


def _callable_of(member: Any) -> Any:
    if isinstance(member, (staticmethod, classmethod)):
        return member.__func__
    return member


def undocumented_methods(cls: type) -> list[str]:
    """Public methods and properties of ``cls`` (and of its library base classes) without a docstring.

    An override is documented when any class it overrides documents the name.
    """
    library_classes = [k for k in cls.__mro__ if k.__module__.startswith("dynamorm_py")]
    names = {name for k in library_classes for name in vars(k) if not name.startswith("_")}
    missing = []
    for name in sorted(names):
        members = [_callable_of(vars(k)[name]) for k in cls.__mro__ if name in vars(k)]
        if not (inspect.isfunction(members[0]) or isinstance(members[0], property)):
            continue  # enum members, constants, nested types
        if not any(isinstance(getattr(m, "__doc__", None), str) and m.__doc__.strip() for m in members):
            missing.append(f"{cls.__name__}.{name}")
    return missing


PUBLIC = public_objects()


def test_public_names_are_collected() -> None:
    assert "dynamorm_py.Table" in PUBLIC and "dynamorm_py.testkit.FakeDynamoDBClient" in PUBLIC


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_name_has_a_docstring(name: str) -> None:
    assert own_docstring(PUBLIC[name]), f"{name} has no docstring"


@pytest.mark.parametrize("name", sorted(n for n, obj in PUBLIC.items() if inspect.isclass(obj)))
def test_public_methods_have_docstrings(name: str) -> None:
    assert not undocumented_methods(PUBLIC[name])


def test_the_checks_catch_a_missing_docstring() -> None:
    from dataclasses import dataclass

    @dataclass
    class Bare:
        x: int = 0

        def run(self) -> None:
            pass

        @property
        def size(self) -> int:
            return 0

    class Documented(Bare):
        """Documented."""

        def run(self) -> None:
            """Runs."""

    assert own_docstring(Bare) is None
    assert own_docstring(Documented) == "Documented."
    Bare.__module__ = Documented.__module__ = "dynamorm_py.example"
    assert undocumented_methods(Bare) == ["Bare.run", "Bare.size"]
    assert undocumented_methods(Documented) == ["Documented.size"]
