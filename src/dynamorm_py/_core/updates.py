"""The fluent update of one item: its actions and conditions, checked as they are added, and the UpdateItem
operation they make. The sync and async ``UpdateBuilder`` drivers add only ``execute()`` and ``explain()``."""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar

from .._blocks.codec import AV, FieldCodec, format_timestamp
from .._blocks.conditions import version_condition, version_field
from .._blocks.terms import ExpressionParts, field_suffix, render_term, resolve_field
from ..errors import (
    ERR_AWS_VALIDATION,
    ERR_ENCRYPTED_FIELD_NOT_QUERYABLE,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ConditionFailedError,
    DynamormPyError,
    ValidationError,
)
from .context import TableContext
from .effects import Op
from .items import add_expression_maps, guard_update, send_update, update_effects
from .retries import retried_call

__all__ = ["UpdateActions"]

T = TypeVar("T")
B = TypeVar("B", bound="UpdateActions[Any]")
P = ParamSpec("P")
R = TypeVar("R")

_OPERATION = "update_builder"
_RETURN_VALUES = ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW")
_PARTIAL_RETURN_VALUES = ("UPDATED_OLD", "UPDATED_NEW")


def _check_partial_return(ctx: TableContext[Any], params: Mapping[str, Any]) -> None:
    """UPDATED_OLD/UPDATED_NEW return only the updated attributes; refuse, before anything is written,
    when those and the key cannot build an instance (a field without default that the update leaves alone)."""
    if params["ReturnValues"] not in _PARTIAL_RETURN_VALUES:
        return
    written, _ = update_effects(params)
    codec = ctx.codec
    missing = [f for f in codec.required if f.attribute_name not in written]
    if missing:
        raise ValidationError(
            f"return_values({params['ReturnValues']!r}) returns only the updated attributes, which cannot "
            f"build a {codec.model_type.__name__} without {missing[0].python_name!r} (no default): ask for "
            "'ALL_NEW' or 'NONE'",
            code=ERR_INVALID_OPERATOR,
            field=missing[0].attribute_name,
        )


# How many times a write whose ADD/DELETE met a stored NULL set is rewritten and sent again before the
# last error is raised (each round also reads the item once). More rounds only help under heavy contention
# on the same item, where another writer keeps changing the set between our read and our write.
_SET_REWRITES = 3


@dataclass
class _BuilderState:
    sets: list[str] = dataclasses.field(default_factory=list)
    removes: list[str] = dataclasses.field(default_factory=list)
    # ADD and DELETE keep their parts apart so a set action can be rewritten when the stored set is NULL:
    # (name placeholder, value placeholder, whether the field is set-typed).
    adds: list[tuple[str, str, bool]] = dataclasses.field(default_factory=list)
    deletes: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    conditions: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (joiner, term)
    parts: ExpressionParts = dataclasses.field(default_factory=ExpressionParts)
    touched: set[str] = dataclasses.field(default_factory=set)
    update_values: int = 0
    condition_values: int = 0
    expected_version: int | None = None
    skip_version_check: bool = False
    upsert: bool = False
    return_values: str = "NONE"


@dataclass
class _Prepared:
    """A validated, sealed update, ready to be rendered with or without NULL-set rewrites."""

    parts: ExpressionParts
    sets: list[str]  # the caller's, in call order
    stamp: list[str]  # the updated_at SET, which stays last
    removes: list[str]
    adds: list[tuple[str, str, bool]]
    deletes: list[tuple[str, str]]
    caller_condition: str
    library_condition: str
    bump_version: bool
    # Name placeholders of the set-typed fields that ADD or DELETE touch, in first-use order.
    set_names: list[str]


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


class UpdateActions(Generic[T]):
    """Update actions and conditions for one item, collected call by call; :meth:`_execute_op` sends them."""

    def __init__(self, ctx: TableContext[T], pk: Any, sk: Any = None) -> None:
        self._ctx: TableContext[T] = ctx
        self._pk_sk = (pk, sk)
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
        if f.role == "version":
            # Every builder write adds 1 to the version itself; a second action on it would either be
            # rejected by DynamoDB (overlapping paths) or defeat the optimistic lock.
            raise ValidationError(
                f"version field {name!r} is managed by the library (use expect_version)",
                code=ERR_INVALID_MODEL,
                field=f.attribute_name,
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
    def set(self, field: str, value: Any) -> Self:
        """``SET field = value``; ``None`` removes the attribute instead (as ``Table.update`` does)."""
        f, name = self._field(field)
        if value is None and not f.writes_none:
            self._state.removes.append(name)  # as Table.update: None is absent, never a NULL
            return self
        self._state.sets.append(f"{name} = {self._value(f, self._encoded(f, value))}")
        return self

    @_step
    def set_if_not_exists(self, field: str, _value: Any, default_value: Any) -> Self:
        """``SET field = if_not_exists(field, default_value)``: write ``default_value`` only where the
        attribute is absent. The middle argument is not sent; it keeps the Go and TypeScript signature.
        """
        f, name = self._field(field)
        placeholder = self._value(f, self._encoded(f, default_value))
        self._state.sets.append(f"{name} = if_not_exists({name}, {placeholder})")
        return self

    @_step
    def add(self, field: str, value: Any) -> Self:
        """``ADD``: add a number to a numeric field, or elements to a set field (one value or a collection).

        A set stored as NULL (the family's empty set) is handled too, at the cost of a read. Refused on
        encrypted fields.
        """
        f, name = self._field(field, queryable=True, what="ADD")
        if f.definition.set:
            values = value if isinstance(value, (set, frozenset, list, tuple)) else [value]
            av = self._encoded(f, values)
            if "NULL" in av:
                raise ValidationError("ADD needs at least one set element", code=ERR_INVALID_OPERATOR)
        elif isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise ValidationError(f"ADD on {field!r} needs a number", code=ERR_INVALID_OPERATOR)
        else:
            av = self._encoded(f, value)
        self._state.adds.append((name, self._value(None, av), f.definition.set))
        return self

    def increment(self, field: str) -> Self:
        """Add 1 to a numeric field (``ADD field 1``)."""
        return self.add(field, 1)

    def decrement(self, field: str) -> Self:
        """Subtract 1 from a numeric field (``ADD field -1``)."""
        return self.add(field, -1)

    @_step
    def remove(self, field: str) -> Self:
        """``REMOVE field``: delete the attribute from the item."""
        _, name = self._field(field)
        self._state.removes.append(name)
        return self

    @_step
    def delete(self, field: str, value: Any) -> Self:
        """``DELETE``: remove elements (one value or a collection) from a set field."""
        f, name = self._field(field, queryable=True, what="DELETE")
        if not f.definition.set:
            raise ValidationError(
                f"DELETE needs a set field, {field!r} is not one", code=ERR_INVALID_OPERATOR
            )
        values = value if isinstance(value, (set, frozenset, list, tuple)) else [value]
        av = self._encoded(f, values)
        if "NULL" in av:
            raise ValidationError("DELETE needs at least one set element", code=ERR_INVALID_OPERATOR)
        self._state.deletes.append((name, self._value(None, av)))
        return self

    def _list_field(self, field: str) -> tuple[FieldCodec, str]:
        f, name = self._field(field, queryable=True, what="a list operation")
        d = f.definition
        if (
            d.set
            or d.json
            or d.binary
            or f.converter is not None
            or self._ctx.model.attribute_type(f.attribute_name) != "L"
        ):
            raise ValidationError(f"{field!r} is not a plain list field", code=ERR_INVALID_OPERATOR)
        return f, name

    @_step
    def append_to_list(self, field: str, values: list[Any]) -> Self:
        """Append ``values`` (a list) to the end of a list field."""
        f, name = self._list_field(field)
        if not isinstance(values, list):
            raise ValidationError("append_to_list takes a list", code=ERR_INVALID_OPERATOR)
        placeholder = self._value(None, self._encoded(f, values))
        self._state.sets.append(f"{name} = list_append({name}, {placeholder})")
        return self

    @_step
    def prepend_to_list(self, field: str, values: list[Any]) -> Self:
        """Insert ``values`` (a list) at the start of a list field."""
        f, name = self._list_field(field)
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
    def remove_from_list_at(self, field: str, index: int) -> Self:
        """Remove the element at ``index`` of a list field."""
        _, name = self._list_field(field)
        self._state.removes.append(f"{name}[{self._index(index)}]")
        return self

    @_step
    def set_list_element(self, field: str, index: int, value: Any) -> Self:
        """Replace the element at ``index`` of a list field with ``value``."""
        f, name = self._list_field(field)
        position = self._index(index)
        placeholder = self._value(None, self._ctx.codec.encode_field_value(f, value, f.element_encode))
        self._state.sets.append(f"{name}[{position}] = {placeholder}")
        return self

    # conditions ------------------------------------------------------------------------------------

    def _condition(self, joiner: str, field: str, operator: str, value: Any) -> Self:
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
            field_name=field,
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
    def condition(self, field: str, operator: str, value: Any = None) -> Self:
        """AND a condition ``field <operator> value`` onto the update (``=``, ``<>``, ``<``, ``<=``, ``>``,
        ``>=``, ``BETWEEN`` and ``IN`` with a list, ``BEGINS_WITH``, ``CONTAINS``, ``ATTRIBUTE_EXISTS``,
        ``ATTRIBUTE_NOT_EXISTS``). A false condition makes ``execute()`` raise ``ConditionFailedError``.
        """
        return self._condition("AND", field, operator, value)

    @_step
    def or_condition(self, field: str, operator: str, value: Any = None) -> Self:
        """OR a condition onto the conditions given so far; same operators as :meth:`condition`."""
        return self._condition("OR", field, operator, value)

    @_step
    def condition_exists(self, field: str) -> Self:
        """Require the attribute ``field`` to exist."""
        return self._condition("AND", field, "ATTRIBUTE_EXISTS", None)

    @_step
    def condition_not_exists(self, field: str) -> Self:
        """Require the attribute ``field`` to be absent."""
        return self._condition("AND", field, "ATTRIBUTE_NOT_EXISTS", None)

    @_step
    def condition_version(self, current_version: int) -> Self:
        """On a versioned model, the same as ``expect_version``; otherwise ``version = current_version``.

        A model with a version role is locked and incremented by every builder write, so a bare comparison
        without the increment would break the lock for the next writer. A model with only a field named
        ``version`` (no role) gets the plain comparison.
        """
        codec = self._ctx.codec
        if version_field(codec) is not None:
            return self._expect(current_version, "condition_version")
        version = codec.by_name.get("version")
        if version is None:
            raise ValidationError("the model has no version field", code=ERR_INVALID_MODEL)
        return self._condition("AND", version.python_name, "=", current_version)

    @_step
    def expect_version(self, expected: int) -> Self:
        """The full optimistic lock of ``Table.update``: condition plus ``ADD version 1``."""
        return self._expect(expected, "expect_version")

    def _version(self, method: str) -> FieldCodec:
        version = version_field(self._ctx.codec)
        if version is None:
            raise ValidationError(f"{method} needs a model with a version role", code=ERR_INVALID_MODEL)
        return version

    def _expect(self, expected: int, method: str) -> Self:
        version = self._version(method)
        if isinstance(expected, bool) or not isinstance(expected, int):
            # None in particular: it must not read as "no lock".
            raise ValidationError(
                f"{method} takes the int version the item was read with",
                code=ERR_INVALID_MODEL,
                field=version.attribute_name,
            )
        state = self._state
        if state.skip_version_check:
            raise ValidationError(
                f"{method} and without_version_check() contradict each other",
                code=ERR_INVALID_MODEL,
                field=version.attribute_name,
            )
        if state.expected_version is not None and state.expected_version != expected:
            raise ValidationError(
                "two different expected versions were given",
                code=ERR_INVALID_MODEL,
                field=version.attribute_name,
            )
        state.expected_version = expected
        return self

    @_step
    def without_version_check(self) -> Self:
        """Write a versioned model without the optimistic lock; the version is still incremented."""
        version = self._version("without_version_check")
        if self._state.expected_version is not None:
            raise ValidationError(
                "without_version_check() and an expected version contradict each other",
                code=ERR_INVALID_MODEL,
                field=version.attribute_name,
            )
        self._state.skip_version_check = True
        return self

    @_step
    def upsert(self) -> Self:
        """Let the update create a missing item even when that item would lack fields without default.

        Without it, such an update carries ``attribute_exists(<pk>)`` and a missing item is
        ``NotFoundError`` with nothing written: an item the model cannot read is never created by accident.
        """
        self._state.upsert = True
        return self

    @_step
    def return_values(self, option: str) -> Self:
        """What ``execute()`` returns: ``NONE`` (the default), ``ALL_NEW``, ``ALL_OLD``, ``UPDATED_NEW`` or
        ``UPDATED_OLD``. The ``UPDATED_*`` options return an instance marked as partial.
        """
        if option not in _RETURN_VALUES:
            raise ValidationError(
                f"ReturnValues must be one of {', '.join(_RETURN_VALUES)}", code=ERR_INVALID_OPERATOR
            )
        self._state.return_values = option
        return self

    # execution -------------------------------------------------------------------------------------

    def _prepare(self, ctx: TableContext[T]) -> Op[_Prepared]:
        state = self._state
        # Deep copies: a request (explain()'s too) shares nothing a caller could edit with the builder.
        parts = copy.deepcopy(state.parts)
        sets = list(state.sets)
        adds = list(state.adds)
        if not (sets or state.removes or adds or state.deletes or state.expected_version is not None):
            raise ValidationError("no updates provided", code=ERR_INVALID_MODEL)
        codec = ctx.codec
        version = version_field(codec)
        library_condition = ""
        if version is not None:
            if state.expected_version is None and not state.skip_version_check:
                raise ValidationError(
                    f"this model is versioned: call expect_version(n) or without_version_check() "
                    f"(version field {version.python_name!r})",
                    code=ERR_INVALID_MODEL,
                    field=version.attribute_name,
                )
            if state.expected_version is not None:
                library_condition = version_condition(codec, parts, state.expected_version)
            parts.names["#lc_ver"] = version.attribute_name
            parts.values[":lc_one"] = {"N": "1"}
        updated_at = next((f for f in codec.lifecycle if f.role == "updated_at"), None)
        if updated_at is not None and updated_at.python_name not in state.touched:
            parts.names["#lc_upd"] = updated_at.attribute_name
            parts.values[":lc_now"] = {"S": format_timestamp(ctx.read_clock())}
            stamp = ["#lc_upd = :lc_now"]
        else:
            stamp = []
        caller_condition = ""
        for joiner, term in state.conditions:
            caller_condition = term if not caller_condition else f"{caller_condition} {joiner} {term}"
        set_names: list[str] = []
        for name in [name for name, _, is_set in adds if is_set] + [name for name, _ in state.deletes]:
            if name not in set_names:
                set_names.append(name)
        yield from ctx.seal_values(parts.values, parts.encrypt, operation="update_builder")
        return _Prepared(
            parts=parts,
            sets=sets,
            stamp=stamp,
            removes=list(state.removes),
            adds=adds,
            deletes=list(state.deletes),
            caller_condition=caller_condition,
            library_condition=library_condition,
            bump_version=version is not None,
            set_names=set_names,
        )

    def _render(self, ctx: TableContext[T], prepared: _Prepared, null_sets: Sequence[str]) -> dict[str, Any]:
        """The UpdateItem request; set actions on the fields in ``null_sets`` are rewritten for a NULL.

        DynamoDB cannot ADD to or DELETE from a NULL (the family's empty set), so for such a field ADD
        becomes ``SET f = :v`` and DELETE is dropped (nothing to delete), each guarded by
        ``attribute_type(f, NULL)`` so the rewrite only applies while the set is still NULL.
        """
        # The first request uses the prepared maps as they are (no copy on the usual path); a rewrite edits
        # its own copy.
        parts = copy.deepcopy(prepared.parts) if null_sets else prepared.parts
        sets = list(prepared.sets)
        adds: list[str] = []
        for name, value, is_set in prepared.adds:
            if is_set and name in null_sets:
                sets.append(f"{name} = {value}")
            else:
                adds.append(f"{name} {value}")
        sets.extend(prepared.stamp)
        if prepared.bump_version:
            adds.append("#lc_ver :lc_one")
        deletes: list[str] = []
        for name, value in prepared.deletes:
            if name in null_sets:
                del parts.values[value]  # DynamoDB rejects a value no expression uses
            else:
                deletes.append(f"{name} {value}")
        library = [prepared.library_condition] if prepared.library_condition else []
        if null_sets:
            parts.values[":sv_null"] = {"S": "NULL"}
            library.extend(f"attribute_type({name}, :sv_null)" for name in null_sets)
            if not (sets or prepared.removes or adds or deletes):
                # Only DELETEs on NULL sets: rewrite one NULL as itself so the request still checks the
                # conditions and returns the item, as the caller's update would have.
                parts.values[":sv_nullv"] = {"NULL": True}
                sets.append(f"{null_sets[0]} = :sv_nullv")
        clauses = [
            f"{keyword} {', '.join(items)}"
            for keyword, items in (
                ("SET", sets),
                ("REMOVE", prepared.removes),
                ("ADD", adds),
                ("DELETE", deletes),
            )
            if items
        ]
        library_condition = " AND ".join(library)
        condition = prepared.caller_condition
        if library_condition:
            condition = f"({condition}) AND ({library_condition})" if condition else library_condition
        params: dict[str, Any] = {
            "TableName": ctx.table_name,
            "Key": copy.deepcopy(self._key),
            "UpdateExpression": " ".join(clauses),
        }
        add_expression_maps(params, parts, condition=condition)
        params["ReturnValues"] = self._state.return_values
        return params

    def _null_sets(self, ctx: TableContext[T], prepared: _Prepared) -> Op[list[str]]:
        """Read the set fields the update touches; the name placeholders of those stored as NULL."""
        names = {name: prepared.parts.names[name] for name in prepared.set_names}
        response = yield from retried_call(
            ctx.retry,
            "get_item",
            {
                "TableName": ctx.table_name,
                "Key": copy.deepcopy(self._key),
                "ConsistentRead": True,
                "ProjectionExpression": ", ".join(names),
                "ExpressionAttributeNames": names,
            },
            op_name="update_builder",
            table=ctx.table_name,
        )
        item = response.get("Item") or {}
        return [name for name, attribute in names.items() if "NULL" in (item.get(attribute) or {})]

    def _execute_op(self, ctx: TableContext[T]) -> Op[T | None]:
        prepared = yield from self._prepare(ctx)
        null_sets: list[str] = []
        rewrites = 0
        while True:
            params = self._render(ctx, prepared, null_sets)
            if "ExpressionAttributeNames" in params:  # the guard adds a name: keep the prepared map intact
                params["ExpressionAttributeNames"] = dict(params["ExpressionAttributeNames"])
            guarded = guard_update(ctx, params, upsert=self._state.upsert)
            if rewrites == 0:
                _check_partial_return(ctx, params)
            failure: DynamormPyError
            try:
                response = yield from send_update(
                    ctx, params, guarded=guarded, op_name="update_builder", key=self._python_key
                )
                break
            except ValidationError as exc:
                # A set stored as NULL makes ADD/DELETE a type error; anything else is the caller's.
                if not prepared.set_names or exc.code != ERR_AWS_VALIDATION:
                    raise
                failure = exc
            except ConditionFailedError as exc:
                # With rewrites, the failed condition may be our NULL guard: another writer changed the set.
                if not null_sets:
                    raise
                failure = exc
            if rewrites >= _SET_REWRITES:
                raise failure
            rewrites += 1
            observed = yield from self._null_sets(ctx, prepared)
            if observed == null_sets:
                # The sets are as the request assumed, so the failure is not theirs (a genuine type error,
                # or the caller's condition or the version lock failed).
                raise failure
            null_sets = observed
        attributes = response.get("Attributes")
        if not attributes:
            return None
        if params["ReturnValues"] in _PARTIAL_RETURN_VALUES:
            # Only the updated attributes came back: an instance holding the key and those, marked as a
            # partial read so that it cannot be written back whole over the real item.
            partial: T = yield from ctx.read_item(
                {**params["Key"], **attributes}, operation="update_builder", partial=True
            )
            return partial
        result: T = yield from ctx.read_item(attributes, operation="update_builder")
        return result

    def _python_key(self) -> Any:
        pk, sk = self._pk_sk
        return pk if self._ctx.codec.sk is None else (pk, sk)
