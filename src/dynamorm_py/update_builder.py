"""``UpdateBuilder``: a fluent UpdateItem with every update action and conditions (api.md §1.4)."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

from ._context import TableContext
from ._core import Op, PreparedRequest, aws_call
from ._crud import add_expression_maps
from .codec import AV, FieldCodec, format_timestamp
from .errors import (
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    DynamormPyError,
    ValidationError,
)
from .expressions import (
    ExpressionParts,
    field_suffix,
    render_term,
    resolve_field,
    version_condition,
    version_field,
)

if TYPE_CHECKING:
    from .table import Table

__all__ = ["UpdateBuilder"]

T = TypeVar("T")
B = TypeVar("B", bound="UpdateBuilder[Any]")
P = ParamSpec("P")
R = TypeVar("R")

_OPERATION = "update_builder"
_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")


@dataclass
class _BuilderState:
    sets: list[str] = field(default_factory=list)
    removes: list[str] = field(default_factory=list)
    adds: list[str] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)
    conditions: list[tuple[str, str]] = field(default_factory=list)  # (joiner, term)
    parts: ExpressionParts = field(default_factory=ExpressionParts)
    touched: set[str] = field(default_factory=set)
    update_values: int = 0
    condition_values: int = 0
    expected_version: int | None = None
    return_values: str = "NONE"


def _step(method: Callable[Concatenate[B, P], R]) -> Callable[Concatenate[B, P], R]:
    """Make a builder call all-or-nothing and stamp operation and table on the errors it raises.

    A rejected call leaves the builder as it was, so no half-registered placeholder reaches the request.
    """

    @functools.wraps(method)
    def step(self: B, /, *args: P.args, **kwargs: P.kwargs) -> R:
        saved = copy.deepcopy(self._state)
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            self._state = saved
            if isinstance(exc, DynamormPyError):
                exc.with_context(operation=_OPERATION, table=self._ctx.table_name)
            raise

    return step


class UpdateBuilder(Generic[T]):
    """Collect update actions and conditions for one item, then ``execute()`` or ``explain()``."""

    def __init__(self, table: Table[T], pk: Any, sk: Any = None) -> None:
        self._table = table
        self._ctx: TableContext[T] = table._ctx
        try:
            self._key = self._ctx.codec.encode_key(pk, sk)
        except DynamormPyError as exc:
            exc.with_context(operation=_OPERATION, table=self._ctx.table_name)
            raise
        self._state = _BuilderState()

    # helpers ---------------------------------------------------------------------------------------

    def _field(self, name: str, *, queryable: bool = False, what: str = "") -> tuple[FieldCodec, str]:
        codec = self._ctx.codec
        f = resolve_field(codec, name, security=self._ctx.security)
        if f is codec.pk or f is codec.sk:
            raise ValidationError(
                f"key field {name!r} cannot be updated", code=ERR_INVALID_MODEL, field=f.attribute_name
            )
        if queryable and f.encrypted:
            raise ValidationError(
                f"encrypted field {name!r} cannot be used in {what}",
                code=ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
                field=f.attribute_name,
            )
        placeholder = f"#u_{field_suffix(codec, f)}"
        self._state.parts.names[placeholder] = f.attribute_name
        self._state.touched.add(f.python_name)
        return f, placeholder

    def _value(self, f: FieldCodec | None, av: AV) -> str:
        self._state.update_values += 1
        placeholder = f":u{self._state.update_values}"
        self._state.parts.values[placeholder] = av
        if f is not None and f.encrypted:
            self._state.parts.encrypt[placeholder] = f.attribute_name
        return placeholder

    def _encoded(self, f: FieldCodec, value: Any) -> AV:
        return self._ctx.codec.encode_field_value(f, value)

    # update actions --------------------------------------------------------------------------------

    @_step
    def set(self, field_name: str, value: Any) -> UpdateBuilder[T]:
        f, name = self._field(field_name)
        if value is None and not f.writes_none:
            self._state.removes.append(name)  # as Table.update: None is absent, never a NULL
            return self
        self._state.sets.append(f"{name} = {self._value(f, self._encoded(f, value))}")
        return self

    @_step
    def set_if_not_exists(self, field_name: str, _value: Any, default_value: Any) -> UpdateBuilder[T]:
        f, name = self._field(field_name)
        placeholder = self._value(f, self._encoded(f, default_value))
        self._state.sets.append(f"{name} = if_not_exists({name}, {placeholder})")
        return self

    @_step
    def add(self, field_name: str, value: Any) -> UpdateBuilder[T]:
        f, name = self._field(field_name, queryable=True, what="ADD")
        if f.definition.set:
            values = value if isinstance(value, (set, frozenset, list, tuple)) else [value]
            av = self._encoded(f, values)
            if "NULL" in av:
                raise ValidationError("ADD needs at least one set element", code=ERR_INVALID_OPERATOR)
        elif isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ValidationError(f"ADD on {field_name!r} needs a number", code=ERR_INVALID_OPERATOR)
        else:
            av = self._encoded(f, value)
        self._state.adds.append(f"{name} {self._value(None, av)}")
        return self

    def increment(self, field_name: str) -> UpdateBuilder[T]:
        return self.add(field_name, 1)

    def decrement(self, field_name: str) -> UpdateBuilder[T]:
        return self.add(field_name, -1)

    @_step
    def remove(self, field_name: str) -> UpdateBuilder[T]:
        _, name = self._field(field_name)
        self._state.removes.append(name)
        return self

    @_step
    def delete(self, field_name: str, value: Any) -> UpdateBuilder[T]:
        f, name = self._field(field_name, queryable=True, what="DELETE")
        if not f.definition.set:
            raise ValidationError(
                f"DELETE needs a set field, {field_name!r} is not one", code=ERR_INVALID_OPERATOR
            )
        values = value if isinstance(value, (set, frozenset, list, tuple)) else [value]
        av = self._encoded(f, values)
        if "NULL" in av:
            raise ValidationError("DELETE needs at least one set element", code=ERR_INVALID_OPERATOR)
        self._state.deletes.append(f"{name} {self._value(None, av)}")
        return self

    def _list_field(self, field_name: str) -> tuple[FieldCodec, str]:
        f, name = self._field(field_name, queryable=True, what="a list operation")
        d = f.definition
        if (
            d.set
            or d.json
            or d.binary
            or f.converter is not None
            or self._ctx.model.attribute_type(f.attribute_name) != "L"
        ):
            raise ValidationError(f"{field_name!r} is not a plain list field", code=ERR_INVALID_OPERATOR)
        return f, name

    @_step
    def append_to_list(self, field_name: str, values: list[Any]) -> UpdateBuilder[T]:
        f, name = self._list_field(field_name)
        if not isinstance(values, list):
            raise ValidationError("append_to_list takes a list", code=ERR_INVALID_OPERATOR)
        placeholder = self._value(None, self._encoded(f, values))
        self._state.sets.append(f"{name} = list_append({name}, {placeholder})")
        return self

    @_step
    def prepend_to_list(self, field_name: str, values: list[Any]) -> UpdateBuilder[T]:
        f, name = self._list_field(field_name)
        if not isinstance(values, list):
            raise ValidationError("prepend_to_list takes a list", code=ERR_INVALID_OPERATOR)
        placeholder = self._value(None, self._encoded(f, values))
        self._state.sets.append(f"{name} = list_append({placeholder}, {name})")
        return self

    @staticmethod
    def _index(index: int) -> int:
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise ValidationError("a list index must be a non-negative int", code=ERR_INVALID_OPERATOR)
        return index

    @_step
    def remove_from_list_at(self, field_name: str, index: int) -> UpdateBuilder[T]:
        _, name = self._list_field(field_name)
        self._state.removes.append(f"{name}[{self._index(index)}]")
        return self

    @_step
    def set_list_element(self, field_name: str, index: int, value: Any) -> UpdateBuilder[T]:
        f, name = self._list_field(field_name)
        position = self._index(index)
        placeholder = self._value(None, self._ctx.codec.encode_field_value(f, value, f.element_encode))
        self._state.sets.append(f"{name}[{position}] = {placeholder}")
        return self

    # conditions ------------------------------------------------------------------------------------

    def _condition(self, joiner: str, field_name: str, operator: str, value: Any) -> UpdateBuilder[T]:
        normalized = operator.strip().upper() if isinstance(operator, str) else operator
        if value is None:
            values: Sequence[Any] = ()
        elif normalized in ("BETWEEN", "IN"):
            if not isinstance(value, (list, tuple, set, frozenset)):
                raise ValidationError(
                    f"{normalized} takes a list or tuple of values", code=ERR_INVALID_OPERATOR
                )
            values = list(value)
        else:
            values = (value,)

        def next_value() -> str:
            self._state.condition_values += 1
            return f":c{self._state.condition_values}"

        term = render_term(
            self._ctx.codec,
            self._state.parts,
            field_name=field_name,
            op=operator,
            values=values,
            name_prefix="c",
            next_value=next_value,
            security=self._ctx.security,
            what="a condition",
        )
        self._state.conditions.append((joiner, term))
        return self

    @_step
    def condition(self, field_name: str, operator: str, value: Any = None) -> UpdateBuilder[T]:
        return self._condition("AND", field_name, operator, value)

    @_step
    def or_condition(self, field_name: str, operator: str, value: Any = None) -> UpdateBuilder[T]:
        return self._condition("OR", field_name, operator, value)

    @_step
    def condition_exists(self, field_name: str) -> UpdateBuilder[T]:
        return self._condition("AND", field_name, "ATTRIBUTE_EXISTS", None)

    @_step
    def condition_not_exists(self, field_name: str) -> UpdateBuilder[T]:
        return self._condition("AND", field_name, "ATTRIBUTE_NOT_EXISTS", None)

    @_step
    def condition_version(self, current_version: int) -> UpdateBuilder[T]:
        """``version = current_version`` (no increment, as upstream)."""
        codec = self._ctx.codec
        version = version_field(codec) or codec.by_name.get("version")
        if version is None:
            raise ValidationError("the model has no version field", code=ERR_INVALID_MODEL)
        return self._condition("AND", version.python_name, "=", current_version)

    @_step
    def expect_version(self, expected: int) -> UpdateBuilder[T]:
        """The full optimistic lock of ``Table.update``: condition plus ``ADD version 1``."""
        if version_field(self._ctx.codec) is None:
            raise ValidationError("expect_version needs a model with a version role", code=ERR_INVALID_MODEL)
        self._state.expected_version = expected
        return self

    @_step
    def return_values(self, option: str) -> UpdateBuilder[T]:
        if option not in _RETURN_VALUES:
            raise ValidationError(
                f"ReturnValues must be one of {', '.join(_RETURN_VALUES)}", code=ERR_INVALID_OPERATOR
            )
        self._state.return_values = option
        return self

    # execution -------------------------------------------------------------------------------------

    def _request(self, ctx: TableContext[T]) -> Op[dict[str, Any]]:
        state = self._state
        # Deep copies: a request (explain()'s too) shares nothing a caller could edit with the builder.
        parts = copy.deepcopy(state.parts)
        sets, adds = list(state.sets), list(state.adds)
        if not (sets or state.removes or adds or state.deletes or state.expected_version is not None):
            raise ValidationError("no updates provided", code=ERR_INVALID_MODEL)
        codec = ctx.codec
        updated_at = next((f for f in codec.lifecycle if f.role == "updated_at"), None)
        if updated_at is not None and updated_at.python_name not in state.touched:
            parts.names["#lc_upd"] = updated_at.attribute_name
            parts.values[":lc_now"] = {"S": format_timestamp(ctx.read_clock())}
            sets.append("#lc_upd = :lc_now")
        condition = ""
        for joiner, term in state.conditions:
            condition = term if not condition else f"{condition} {joiner} {term}"
        if state.expected_version is not None:
            lock = version_condition(codec, parts, state.expected_version)
            parts.values[":lc_one"] = {"N": "1"}
            adds.append("#lc_ver :lc_one")
            condition = f"({condition}) AND ({lock})" if condition else lock
        clauses = [
            f"{keyword} {', '.join(items)}"
            for keyword, items in (
                ("SET", sets),
                ("REMOVE", state.removes),
                ("ADD", adds),
                ("DELETE", state.deletes),
            )
            if items
        ]
        yield from ctx.seal_values(parts.values, parts.encrypt, operation="update_builder")
        params: dict[str, Any] = {
            "TableName": ctx.table_name,
            "Key": copy.deepcopy(self._key),
            "UpdateExpression": " ".join(clauses),
        }
        add_expression_maps(params, parts, condition=condition)
        params["ReturnValues"] = state.return_values
        return params

    def _execute_op(self, ctx: TableContext[T]) -> Op[T | None]:
        params = yield from self._request(ctx)
        response = yield from aws_call(
            "dynamodb", "update_item", params, op_name="update_builder", table=ctx.table_name
        )
        attributes = response.get("Attributes")
        if not attributes:
            return None
        result: T = yield from ctx.read_item(attributes, operation="update_builder")
        return result

    def execute(self) -> T | None:
        """Send the update; returns the item ReturnValues asked for, or ``None``."""
        return self._table._run(self._execute_op(self._ctx), "update_builder")

    def explain(self) -> PreparedRequest:
        """The request ``execute`` would send, without sending it."""
        return self._table.explain._one(self._execute_op, "update_builder")
