"""Instances read through a projection: marked, so a whole-item write of one cannot erase real values."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

from ..errors import ERR_PARTIAL_ITEM, ValidationError

__all__ = ["any_marked", "check_whole_item", "is_partial", "mark_partial"]

# Such an instance holds defaults where the read did not load the real values, so writing it back whole
# would erase them. Its mark lives where it survives the instance's own life and costs nothing elsewhere:
# in the instance ``__dict__`` (frozen dataclasses too; copies keep it, ``dataclasses.replace`` makes a new,
# unmarked instance), else, for ``slots=True`` classes, in a registry keyed by ``id`` that holds a weak
# reference, or, when the class has no ``__weakref__`` slot either, the instance itself for the most recent
# ``_MAX_STRONG_MARKS`` marks (an ``id`` is only trusted while its object is alive).

_PARTIAL_ATTRIBUTE = "_dynamorm_partial_read"
_MAX_STRONG_MARKS = 4096
_marks_lock = threading.Lock()
_weak_marks: dict[int, weakref.ref[Any]] = {}
_strong_marks: OrderedDict[int, Any] = OrderedDict()
_any_marked = False  # lets every put skip the lookup until a projected read has happened


def _forgetter(key: int) -> Callable[[weakref.ref[Any]], None]:
    def forget(ref: weakref.ref[Any]) -> None:
        with _marks_lock:
            if _weak_marks.get(key) is ref:
                del _weak_marks[key]

    return forget


def mark_partial(instances: Iterable[Any]) -> None:
    """Mark instances decoded from items that lack attributes of the model (projected reads)."""
    global _any_marked
    _any_marked = True
    for instance in instances:
        state = getattr(instance, "__dict__", None)
        if isinstance(state, dict):
            state[_PARTIAL_ATTRIBUTE] = True
            continue
        key = id(instance)
        try:
            ref = weakref.ref(instance, _forgetter(key))
        except TypeError:  # slots without __weakref__
            with _marks_lock:
                _strong_marks[key] = instance
                _strong_marks.move_to_end(key)
                while len(_strong_marks) > _MAX_STRONG_MARKS:
                    _strong_marks.popitem(last=False)
            continue
        with _marks_lock:
            _weak_marks[key] = ref


def is_partial(instance: Any) -> bool:
    """Whether ``instance`` came from a projected read (and so may hold defaults instead of values)."""
    if not _any_marked:
        return False
    state = getattr(instance, "__dict__", None)
    if isinstance(state, dict):
        return _PARTIAL_ATTRIBUTE in state
    key = id(instance)
    ref = _weak_marks.get(key)
    if ref is not None:
        return ref() is instance
    return _strong_marks.get(key) is instance


def check_whole_item(instance: Any, *, hint: str) -> None:
    """Refuse a whole-item write of an instance read through a projection (it would erase real values)."""
    if _any_marked and is_partial(instance):
        raise ValidationError(
            f"this instance was read through a projection and lacks real values for the fields not "
            f"loaded; writing it whole would overwrite them: {hint}",
            code=ERR_PARTIAL_ITEM,
        )


def any_marked() -> bool:
    """Whether any instance was ever marked (until then every check can be skipped)."""
    return _any_marked
