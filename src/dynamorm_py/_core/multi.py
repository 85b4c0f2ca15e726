"""Many models, one client: routing transactions, batches and queries to the registered model of each item.

Single-table designs keep several entity types in one table (a customer's profile, orders and cart under one
partition key). A :class:`Registry` holds one ``TableContext`` per registered model, all with the client's
settings; the operations here route every action, key and read item to its model and then reuse the
single-model operations, so encryption, lifecycle fields, versions and leftovers behave exactly as on one
``Table``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._blocks.keys import KeyIdentity, item_key_reader, key_identity, split_key
from .._blocks.model import ModelDefinition
from .._blocks.page import Page
from .._blocks.retry_policy import DEFAULT_POLICY, RetryPolicy
from ..errors import (
    ERR_AMBIGUOUS_ITEM,
    ERR_INVALID_MODEL,
    ERR_INVALID_OPERATOR,
    ERR_INVALID_VALUE,
    BatchInterruptedError,
    BatchRetryExceededError,
    DynamormPyError,
    ValidationError,
)
from ..transaction import TransactPut, TransactWriteAction
from .batch import Backoff, WriteSource, batch_get_op, check_max_retries, write_chunk_op, write_failure
from .context import TableContext, build_context, contextualized
from .effects import Op
from .reads import QueryArgs, ReadRequest, fetch_response, next_page_cursor, read_request
from .transactions import routed_transact_get_op, routed_transact_write_op

__all__ = [
    "Registry",
    "multi_batch_get_op",
    "multi_batch_write_op",
    "multi_query_page_op",
    "multi_query_walker_op",
    "multi_transact_get_op",
    "multi_transact_write_op",
    "MultiQueryWalker",
]

_DEFAULT_BACKOFF = Backoff()


def _invalid(message: str, *, code: str = ERR_INVALID_MODEL, field: str | None = None) -> ValidationError:
    return ValidationError(message, code=code, field=field)


def _model_name(model: Any) -> str:
    if isinstance(model, ModelDefinition):
        return model.name or model.model_type.__name__
    return getattr(model, "__name__", type(model).__name__)


@dataclass
class Registry:
    """The models of one client, each with its ``TableContext`` built from the client's settings."""

    settings: Mapping[str, Any]
    _by_type: dict[type, TableContext[Any]] = field(default_factory=dict)
    _by_table: dict[str, list[TableContext[Any]]] = field(default_factory=dict)

    def register(self, model: Any) -> TableContext[Any]:
        """Add ``model`` (a ``ModelDefinition``); registering the same one again does nothing."""
        if not isinstance(model, ModelDefinition):
            raise _invalid(
                f"register() takes ModelDefinition objects, not {_model_name(model)!r}: use "
                "ModelDefinition.from_dataclass(..., table_name=...)",
                field="models",
            )
        existing = self._by_type.get(model.model_type)
        if existing is not None:
            if existing.model is model:
                return existing
            raise _invalid(
                f"{model.model_type.__name__} is already registered (table {existing.table_name!r}); one "
                "dataclass maps to one model per client",
                field="models",
            )
        ctx = build_context(model, table_name=None, **self.settings)
        self._by_type[model.model_type] = ctx
        self._by_table.setdefault(ctx.table_name, []).append(ctx)
        return ctx

    def context(self, model: Any) -> TableContext[Any]:
        """The context of a registered model, given as its ``ModelDefinition`` or its dataclass."""
        model_type = model.model_type if isinstance(model, ModelDefinition) else model
        ctx = self._by_type.get(model_type) if isinstance(model_type, type) else None
        if ctx is None or (isinstance(model, ModelDefinition) and ctx.model is not model):
            raise _invalid(
                f"{_model_name(model)} is not registered with this client (call register() first)",
                field="model",
            )
        return ctx

    def for_item(self, item: Any) -> TableContext[Any]:
        """The context of the model registered for ``type(item)``."""
        ctx = self._by_type.get(type(item))
        if ctx is None:
            raise _invalid(
                f"no model is registered for {type(item).__name__} items (call register() first)",
                field="item",
            )
        return ctx

    def on_table(self, table_name: str) -> list[TableContext[Any]]:
        """Every registered model stored in ``table_name``, in registration order."""
        contexts = self._by_table.get(table_name)
        if not contexts:
            raise _invalid(f"no registered model is stored in table {table_name!r}", field="table_name")
        return contexts

    @property
    def models(self) -> list[ModelDefinition[Any]]:
        return [ctx.model for ctx in self._by_type.values()]

    def retry_policy(self) -> RetryPolicy:
        """The retry policy every registered model's operations use."""
        policy: RetryPolicy | None = self.settings.get("retry_policy")
        return policy or DEFAULT_POLICY


def _tables_of(contexts: Iterable[TableContext[Any]]) -> str | None:
    """The table errors name: the only one, or none when an operation spans several."""
    names = {ctx.table_name for ctx in contexts}
    return names.pop() if len(names) == 1 else None


# --- transactions ---------------------------------------------------------------------------------------


def _route_action(registry: Registry, action: TransactWriteAction[Any]) -> TableContext[Any]:
    if isinstance(action, TransactPut):
        return registry.for_item(action.item)
    model = getattr(action, "model", None)
    if model is None:
        raise _invalid(
            f"{type(action).__name__} sent through a DynamormClient names its model: model=Order",
            field="model",
        )
    return registry.context(model)


def multi_transact_write_op(
    registry: Registry,
    actions: Iterable[TransactWriteAction[Any]],
    *,
    client_request_token: str | None = None,
    max_conflict_retries: int = 0,
) -> Op[None]:
    """One TransactWriteItems call whose actions may touch several models and tables."""
    if isinstance(actions, (str, bytes)) or not isinstance(actions, Iterable):
        raise _invalid("actions must be a sequence of transaction actions", code=ERR_INVALID_OPERATOR)
    routed = [(_route_action(registry, action), action) for action in actions]
    yield from contextualized(
        routed_transact_write_op(
            routed, client_request_token=client_request_token, max_conflict_retries=max_conflict_retries
        ),
        operation="transact_write",
        table=_tables_of(ctx for ctx, _ in routed),
    )


def _split_model_key(entry: Any, what: str) -> tuple[Any, Any]:
    """``(Model, pk, sk)`` or ``(Model, pk)`` -> (model, key as a single-model table takes it)."""
    if not isinstance(entry, tuple) or len(entry) not in (2, 3):
        raise _invalid(
            f"{what} through a DynamormClient are (Model, pk, sk) or (Model, pk) tuples",
            code=ERR_INVALID_VALUE,
            field=what,
        )
    if len(entry) == 2:
        return entry[0], entry[1]
    return entry[0], (entry[1], entry[2])


def multi_transact_get_op(registry: Registry, keys: Iterable[Any]) -> Op[list[Any]]:
    """One TransactGetItems call over ``(Model, pk, sk)`` keys; results in key order, ``None`` if missing."""
    if isinstance(keys, (str, bytes)) or not isinstance(keys, Iterable):
        raise _invalid("keys must be a sequence of (Model, pk, sk) tuples", code=ERR_INVALID_OPERATOR)
    routed = []
    for entry in keys:
        model, key = _split_model_key(entry, "keys")
        routed.append((registry.context(model), key))
    results: list[Any] = yield from contextualized(
        routed_transact_get_op(routed), operation="transact_get", table=_tables_of(ctx for ctx, _ in routed)
    )
    return results


# --- batches --------------------------------------------------------------------------------------------


@dataclass
class _WriteGroup:
    ctx: TableContext[Any]
    puts: list[Any] = field(default_factory=list)
    keys: list[Any] = field(default_factory=list)  # as a single-model table takes them


def _check_one_model_per_item(groups: Sequence[_WriteGroup]) -> None:
    """Two models of one table writing one item in one batch: DynamoDB would apply both, in any order."""
    tables: dict[str, list[_WriteGroup]] = {}
    for group in groups:
        tables.setdefault(group.ctx.table_name, []).append(group)
    for shared in tables.values():
        if len(shared) < 2:
            continue
        owners: dict[KeyIdentity, str] = {}
        for group in shared:
            codec = group.ctx.codec
            identity_of = item_key_reader(codec)
            identities = [identity_of(item) for item in group.puts]
            identities += [
                key_identity(codec, codec.encode_key(*split_key(codec, key))) for key in group.keys
            ]
            for identity in identities:
                name = _model_name(group.ctx.model)
                other = owners.setdefault(identity, name)
                if other != name:
                    raise _invalid(
                        f"one item is written through two models ({other} and {name}) in one batch"
                    )


def _combined_failure(
    error: BatchRetryExceededError,
    *,
    puts: list[Any],
    deletes: list[Any],
    table: str | None,
    results: Sequence[Any] = (),
    keys: list[Any] | None = None,
) -> BatchRetryExceededError:
    """``error`` again, with the leftovers of the whole multi-model call (the caller's own objects)."""
    unprocessed = [*puts, *deletes] if keys is None else list(keys)
    kwargs: dict[str, Any] = {
        "operation": error.operation or "batch_write",
        "table": table,
        "unprocessed_count": len(unprocessed),
        "unprocessed": unprocessed,
        "unprocessed_puts": puts,
        "unprocessed_deletes": deletes,
        "unprocessed_keys": keys or (),
        "results": results,
    }
    combined: BatchRetryExceededError
    if isinstance(error, BatchInterruptedError):
        combined = BatchInterruptedError(reason=error.reason, **kwargs)
    else:
        combined = BatchRetryExceededError(**kwargs)
    combined.__cause__ = error.__cause__
    return combined


def multi_batch_write_op(
    registry: Registry,
    puts: Iterable[Any] = (),
    deletes: Iterable[Any] = (),
    *,
    max_retries: int = 5,
    backoff: Backoff = _DEFAULT_BACKOFF,
) -> Op[None]:
    """BatchWriteItem over several models (see :func:`_batch_write`); errors name the operation."""
    yield from contextualized(
        _batch_write(registry, puts, deletes, max_retries=max_retries, backoff=backoff),
        operation="batch_write",
        table=None,
    )


def _batch_write(
    registry: Registry,
    puts: Iterable[Any] = (),
    deletes: Iterable[Any] = (),
    *,
    max_retries: int = 5,
    backoff: Backoff = _DEFAULT_BACKOFF,
) -> Op[None]:
    """BatchWriteItem over several models: puts routed by ``type(item)``, deletes as ``(Model, pk, sk)``.

    Everything is checked before anything is sent. Each model's items go out as on its own ``Table`` (puts
    then deletes, 25 per request, one *now* for the whole call); what was not written comes back on the
    error as the caller's objects and tuples.
    """
    check_max_retries(max_retries)
    groups: dict[int, _WriteGroup] = {}
    caller_delete: dict[int, Any] = {}  # id of the key handed to a model -> the caller's tuple
    for item in puts:
        ctx = registry.for_item(item)
        groups.setdefault(id(ctx), _WriteGroup(ctx)).puts.append(item)
    for entry in deletes:
        model, key = _split_model_key(entry, "deletes")
        ctx = registry.context(model)
        groups.setdefault(id(ctx), _WriteGroup(ctx)).keys.append(key)
        caller_delete[id(key)] = entry
    ordered = list(groups.values())
    table = _tables_of(group.ctx for group in ordered)
    if not ordered:
        return
    _check_one_model_per_item(ordered)
    sources = []
    for group in ordered:
        try:
            sources.append(WriteSource(group.ctx, group.puts, group.keys))
        except DynamormPyError as exc:
            exc.with_context(operation="batch_write", table=group.ctx.table_name)
            raise
    now = ordered[0].ctx.read_clock()
    for position, (group, source) in enumerate(zip(ordered, sources, strict=True)):
        while True:
            chunk = source.next_chunk()
            if chunk is None:
                break
            result = yield from write_chunk_op(
                group.ctx, chunk, now=now, max_retries=max_retries, backoff=backoff
            )
            if result.complete:
                continue
            error = write_failure(group.ctx, (result,), source.drain())
            later = ordered[position + 1 :]
            left_puts = [*error.unprocessed_puts, *(item for g in later for item in g.puts)]
            left_keys = [*error.unprocessed_deletes, *(key for g in later for key in g.keys)]
            combined = _combined_failure(
                error, puts=left_puts, deletes=[caller_delete[id(key)] for key in left_keys], table=table
            )
            raise combined from combined.__cause__


def multi_batch_get_op(
    registry: Registry,
    keys: Iterable[Any],
    *,
    consistent_read: bool = False,
    max_retries: int = 5,
    backoff: Backoff = _DEFAULT_BACKOFF,
) -> Op[list[Any]]:
    """BatchGetItem over several models (see :func:`_batch_get`); errors name the operation."""
    results: list[Any] = yield from contextualized(
        _batch_get(registry, keys, consistent_read=consistent_read, max_retries=max_retries, backoff=backoff),
        operation="batch_get",
        table=None,
    )
    return results


def _batch_get(
    registry: Registry,
    keys: Iterable[Any],
    *,
    consistent_read: bool = False,
    max_retries: int = 5,
    backoff: Backoff = _DEFAULT_BACKOFF,
) -> Op[list[Any]]:
    """BatchGetItem over ``(Model, pk, sk)`` keys: one batch per model, results in first-appearance key
    order, missing items absent; leftovers come back as the caller's tuples."""
    check_max_retries(max_retries)
    entries = list(keys)
    groups: dict[int, tuple[TableContext[Any], list[Any]]] = {}
    caller_key: dict[int, Any] = {}
    order: list[tuple[TableContext[Any], KeyIdentity]] = []
    for entry in entries:
        model, key = _split_model_key(entry, "keys")
        ctx = registry.context(model)
        groups.setdefault(id(ctx), (ctx, []))[1].append(key)
        caller_key[id(key)] = entry
        order.append((ctx, key_identity(ctx.codec, ctx.codec.encode_key(*split_key(ctx.codec, key)))))
    table = _tables_of(ctx for ctx, _ in groups.values())
    found: dict[tuple[int, KeyIdentity], Any] = {}

    def ordered_results() -> list[Any]:
        results, seen = [], set()
        for ctx, identity in order:
            slot = (id(ctx), identity)
            if slot in found and slot not in seen:
                seen.add(slot)
                results.append(found[slot])
        return results

    group_list = list(groups.values())
    for position, (ctx, group_keys) in enumerate(group_list):
        identity_of = item_key_reader(ctx.codec)
        try:
            items = yield from batch_get_op(
                ctx,
                group_keys,
                consistent_read=consistent_read,
                max_retries=max_retries,
                backoff=backoff,
            )
        except BatchRetryExceededError as exc:
            for item in exc.results:
                found[(id(ctx), identity_of(item))] = item
            later = [key for _, later_keys in group_list[position + 1 :] for key in later_keys]
            left = [caller_key[id(key)] for key in [*exc.unprocessed_keys, *later]]
            combined = _combined_failure(
                exc, puts=[], deletes=[], keys=left, table=table, results=ordered_results()
            )
            raise combined from exc.__cause__
        for item in items:
            found[(id(ctx), identity_of(item))] = item
    return ordered_results()


# --- queries across the models of one table ------------------------------------------------------------


def _shared_key_schema(contexts: Sequence[TableContext[Any]], index_name: str | None) -> TableContext[Any]:
    """The context that builds requests for a query over every model of a table; their keys must agree."""
    first = contexts[0]

    def keys_of(ctx: TableContext[Any]) -> tuple[Any, ...]:
        codec = ctx.codec
        key = (codec.pk.attribute_name, codec.sk.attribute_name if codec.sk else None)
        if index_name is None:
            return key
        index = next((i for i in ctx.model.indexes if i.name == index_name), None)
        return key + ((index.partition, index.sort) if index is not None else (None, None))

    expected = keys_of(first)
    for ctx in contexts[1:]:
        if keys_of(ctx) != expected:
            raise _invalid(
                f"{first.model.name} and {ctx.model.name} share table {first.table_name!r} with different "
                "key attributes, so one query cannot read both",
            )
    return first


def _matcher(ctx: TableContext[Any]) -> Callable[[Mapping[str, Any]], bool] | None:
    return getattr(ctx.model, "matches", None)


def classify_items(
    contexts: Sequence[TableContext[Any]], items: Sequence[Mapping[str, Any]]
) -> tuple[list[tuple[TableContext[Any], list[int]]], list[int]]:
    """Which model each stored item belongs to: (per model, the positions of its items) and the positions
    no model claims. A model without ``matches`` claims every item; two claims on one item is an error."""
    if len(contexts) == 1 and _matcher(contexts[0]) is None:
        return [(contexts[0], list(range(len(items))))], []
    claims: list[list[int]] = [[] for _ in contexts]
    unclaimed: list[int] = []
    for position, item in enumerate(items):
        owner: int | None = None
        for index, ctx in enumerate(contexts):
            if _matcher(ctx) is None or ctx.recognizes(item):
                if owner is not None:
                    raise ValidationError(
                        f"an item matches two models, {contexts[owner].model.name} and {ctx.model.name}: "
                        "give each a matches= predicate that tells them apart",
                        code=ERR_AMBIGUOUS_ITEM,
                    )
                owner = index
        if owner is None:
            unclaimed.append(position)
        else:
            claims[owner].append(position)
    return [(ctx, positions) for ctx, positions in zip(contexts, claims, strict=True) if positions], unclaimed


def _decode_mixed(
    contexts: Sequence[TableContext[Any]], items: Sequence[Mapping[str, Any]], *, op_name: str, partial: bool
) -> Op[tuple[list[Any], tuple[dict[str, Any], ...]]]:
    owners, unclaimed = classify_items(contexts, items)
    decoded: dict[int, Any] = {}
    for ctx, positions in owners:
        instances = yield from ctx.read_items(
            [items[p] for p in positions], operation=op_name, partial=partial
        )
        decoded.update(zip(positions, instances, strict=True))
    return [decoded[p] for p in sorted(decoded)], tuple(dict(items[p]) for p in unclaimed)


def multi_query_page_op(
    registry: Registry, table_name: str, args: QueryArgs, *, op_name: str
) -> Op[Page[Any]]:
    """One Query page of a table holding several models; items typed by their own model."""
    contexts = registry.on_table(table_name)
    primary = _shared_key_schema(contexts, args.index_name)
    request = read_request(primary, args)
    response = yield from fetch_response(primary, request, op_name)
    items, unrecognized = yield from _decode_mixed(
        contexts,
        response.get("Items") or (),
        op_name=op_name,
        partial=primary.reads_partially(request.params),
    )
    return Page(items, next_page_cursor(primary, request, response), unrecognized=unrecognized)


def multi_query_walker_op(
    registry: Registry, table_name: str, args: QueryArgs, *, op_name: str
) -> Op[MultiQueryWalker]:
    """A walker over every page of a multi-model query; every check runs here, before any call."""
    yield from ()
    return MultiQueryWalker(registry, table_name, args, op_name=op_name)


class MultiQueryWalker:
    """Follows a multi-model query page by page (``query_all`` / ``iter_query``)."""

    def __init__(self, registry: Registry, table_name: str, args: QueryArgs, *, op_name: str) -> None:
        self._contexts = registry.on_table(table_name)
        self._primary = _shared_key_schema(self._contexts, args.index_name)
        self._request: ReadRequest = read_request(self._primary, args)
        self._op_name = op_name
        self.done = False
        self.unrecognized: list[dict[str, Any]] = []

    def next_items(self) -> Op[list[Any]]:
        response = yield from fetch_response(self._primary, self._request, self._op_name)
        last_key = response.get("LastEvaluatedKey")
        if last_key:
            self._request = self._request.continued(last_key)
        else:
            self.done = True
        items, unrecognized = yield from _decode_mixed(
            self._contexts,
            response.get("Items") or (),
            op_name=self._op_name,
            partial=self._primary.reads_partially(self._request.params),
        )
        self.unrecognized.extend(unrecognized)
        return items
