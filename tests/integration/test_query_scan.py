"""Query, scan, pagination, cursors, counts and parallel scans against the embedded server (api.md §1.3,
§3.4; WF §2, §8.2)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pytest

from dynamorm_py.errors import ERR_INVALID_CURSOR, ERR_INVALID_OPERATOR, ERR_INVALID_VALUE, ValidationError
from dynamorm_py.model import ModelDefinition, dynamorm_field, gsi, lsi
from dynamorm_py.query import FilterCondition, FilterGroup, SortKeyCondition, verify_cursor
from dynamorm_py.table import Table

pytestmark = pytest.mark.integration

TOTAL = 1000
PAGE = 7
KEY = b"\x0b" * 32
NEXT_KEY = b"\x0d" * 32


class Upper:
    """A converter: stored upper-case, read back lower-case."""

    def to_dynamodb(self, value: Any) -> Any:
        return str(value).upper()

    def from_dynamodb(self, value: Any) -> Any:
        return str(value).lower()


@dataclass
class Event:
    stream: str = dynamorm_field(roles=["pk"])
    seq: int = dynamorm_field(roles=["sk"])
    kind: str = "k"
    at: int = 0
    rank: int = 0
    label: str = dynamorm_field(converter=Upper(), default="x")
    bucket: int = 0


EVENTS = ModelDefinition.from_dataclass(
    Event,
    table_name="events",
    indexes=[gsi("gsi-kind", partition="kind", sort="at"), lsi("lsi-rank", sort="rank")],
)


@dataclass
class Note:
    owner: str = dynamorm_field(roles=["pk"])
    n: int = dynamorm_field(roles=["sk"])
    body: str | None = dynamorm_field(encrypted=True, default=None)
    label: str = dynamorm_field(converter=Upper(), default="x")


NOTES = ModelDefinition.from_dataclass(Note, table_name="notes_encrypted")


def event(i: int, stream: str = "s") -> Event:
    # at and rank are permutations of 0..999, so each index orders the items differently.
    return Event(
        stream=stream,
        seq=i,
        at=(i * 7919) % TOTAL,
        rank=(i * 331) % TOTAL,
        label=f"l{i % 3}",
        bucket=i // 100,
    )


def load(table: Table[Any], items: Iterable[Any]) -> None:
    """Write items 25 at a time with the raw client (faster than one put per item)."""
    encoded = [table.model.codec.encode_item(item).item for item in items]
    for start in range(0, len(encoded), 25):
        chunk = [{"PutRequest": {"Item": item}} for item in encoded[start : start + 25]]
        pending: dict[str, Any] = {table.table_name: chunk}
        while pending:
            pending = table.client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def events_table(server: Any, *, stream_of: Any = None, **kwargs: Any) -> Table[Event]:
    table = server.table(EVENTS, **kwargs)
    load(table, (event(i, stream_of(i) if stream_of else "s") for i in range(TOTAL)))
    return table


def page_through(table: Table[Event], **options: Any) -> tuple[list[Event], int]:
    """Every item of a query (``partition`` in options) or scan, page by page; returns (items, pages)."""
    partition = options.pop("partition", None)
    limit = options.pop("limit", PAGE)
    items: list[Event] = []
    pages = 0
    cursor: str | None = None
    while True:
        if partition is None:
            page = table.scan(limit=limit, cursor=cursor, **options)
        else:
            page = table.query(partition, limit=limit, cursor=cursor, **options)
        pages += 1
        assert len(page.items) <= limit
        items.extend(page.items)
        if page.next_cursor is None:
            return items, pages
        cursor = page.next_cursor


def assert_each_once(items: list[Event], expected: Iterable[int]) -> None:
    seen = Counter((e.stream, e.seq) for e in items)
    assert max(seen.values(), default=1) == 1, "an item was returned twice"
    assert sorted(seq for _, seq in seen) == sorted(expected)


@pytest.mark.parametrize(
    ("index_name", "partition", "order"),
    [(None, "s", "seq"), ("gsi-kind", "k", "at"), ("lsi-rank", "s", "rank")],
)
def test_1000_items_page_by_7_in_both_directions_each_seen_once(
    dynamorm_local: Any, index_name: str | None, partition: str, order: str
) -> None:
    table = events_table(dynamorm_local)
    for forward in (True, False):
        items, pages = page_through(table, partition=partition, index_name=index_name, scan_forward=forward)
        assert_each_once(items, range(TOTAL))
        assert pages >= TOTAL // PAGE
        keys = [getattr(e, order) for e in items]
        assert keys == sorted(keys, reverse=not forward)
    assert all(e.label in ("l0", "l1", "l2") for e in items), "converters apply on read"


def test_scan_pages_through_the_table_and_an_index(dynamorm_local: Any) -> None:
    table = events_table(dynamorm_local, stream_of=lambda i: f"s{i % 40}")
    for index_name in (None, "gsi-kind"):
        items, _ = page_through(table, index_name=index_name, limit=40)
        assert_each_once(items, range(TOTAL))


def test_filters_leaving_empty_pages_in_the_middle_still_reach_the_end(dynamorm_local: Any) -> None:
    table = events_table(dynamorm_local)
    # bucket = seq // 100: in seq order only the first and the last pages match.
    edges = FilterGroup.or_(FilterCondition.eq("bucket", 0), FilterCondition.eq("bucket", 9))
    expected = [*range(100), *range(900, TOTAL)]
    sizes: list[int] = []
    cursor: str | None = None
    items: list[Event] = []
    while True:
        page = table.query("s", limit=PAGE, cursor=cursor, filter=edges)
        sizes.append(len(page.items))
        items.extend(page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sizes[1:-1].count(0) > 100, "the middle pages are empty"
    assert_each_once(items, expected)
    on_lsi = table.query_all("s", index_name="lsi-rank", limit=100, filter=edges)
    assert sorted(e.seq for e in on_lsi) == expected
    assert len(list(table.iter_query("s", limit=100, filter=edges, scan_forward=False))) == len(expected)
    assert len(table.scan_all(limit=100, filter=edges)) == len(expected)


def test_parallel_scan_over_4_segments_returns_every_item_once(dynamorm_local: Any) -> None:
    table = events_table(dynamorm_local, stream_of=lambda i: f"s{i % 53}")
    items = table.scan_all_segments(total_segments=4, limit=50)
    assert_each_once(items, range(TOTAL))
    by_segment = [table.scan_all(segment=s, total_segments=4, limit=PAGE) for s in range(4)]
    assert sum(1 for segment in by_segment if segment) > 1, "the items are spread over segments"
    assert [(e.stream, e.seq) for e in items] == [(e.stream, e.seq) for seg in by_segment for e in seg]
    assert len(table.scan_all_segments(total_segments=4, max_workers=1)) == TOTAL


def test_signed_cursors_round_trip_and_tampering_fails(dynamorm_local: Any) -> None:
    table = events_table(dynamorm_local, cursor_signing_keys=[KEY])
    items, _ = page_through(table, partition="s")
    assert_each_once(items, range(TOTAL))
    page = table.query("s", limit=PAGE)
    assert page.next_cursor is not None
    verify_cursor(page.next_cursor, keys=[KEY], table_name="events")
    body, mac = page.next_cursor.rsplit(".", 1)
    for bad in (body, body + "." + mac[::-1], body[:-4] + "." + mac):
        with pytest.raises(ValidationError) as info:
            table.query("s", limit=PAGE, cursor=bad)
        assert info.value.code == ERR_INVALID_CURSOR
    rotated = dynamorm_local.table(EVENTS, create=False, cursor_signing_keys=[NEXT_KEY, KEY])
    assert [e.seq for e in rotated.query("s", limit=PAGE, cursor=page.next_cursor).items] == list(
        range(7, 14)
    )
    other = dynamorm_local.table(EVENTS, create=False, table_name="events_copy", cursor_signing_keys=[KEY])
    with pytest.raises(ValidationError) as info:
        other.query("s", limit=PAGE, cursor=page.next_cursor)
    assert info.value.code == ERR_INVALID_CURSOR


def test_a_cursor_from_another_index_or_direction_fails(dynamorm_local: Any) -> None:
    table = events_table(dynamorm_local)
    on_gsi = table.query("k", index_name="gsi-kind", limit=PAGE).next_cursor
    forward = table.query("s", limit=PAGE).next_cursor
    scanned = table.scan(index_name="lsi-rank", limit=PAGE).next_cursor
    assert on_gsi and forward and scanned
    attempts = [
        lambda: table.query("s", cursor=on_gsi),
        lambda: table.query("s", index_name="lsi-rank", cursor=on_gsi),
        lambda: table.query("s", cursor=forward, scan_forward=False),
        lambda: table.scan(cursor=scanned),
        lambda: table.scan(index_name="gsi-kind", cursor=scanned),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert info.value.code == ERR_INVALID_CURSOR
    assert table.scan(index_name="lsi-rank", cursor=scanned, limit=PAGE).items


def test_count_matches_the_items(dynamorm_local: Any) -> None:
    table = events_table(dynamorm_local)
    load(table, (event(i, "other") for i in range(10)))
    assert table.count("s") == TOTAL
    assert table.count() == TOTAL + 10
    assert table.count("s", sort=SortKeyCondition.between(100, 199)) == 100
    assert table.count("s", filter=FilterCondition.lt("rank", 30)) == 30
    every = [event(i) for i in range(TOTAL)] + [event(i, "other") for i in range(10)]
    assert table.count("k", index_name="gsi-kind", sort=SortKeyCondition.lt(500)) == sum(
        e.at < 500 for e in every
    )
    assert table.count(filter=FilterCondition.eq("stream", "other")) == 10


class CountingClient:
    """Wraps the real client and counts its ``query`` and ``scan`` calls."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: Counter[str] = Counter()

    def query(self, **params: Any) -> Any:
        self.calls["query"] += 1
        return self._client.query(**params)

    def scan(self, **params: Any) -> Any:
        self.calls["scan"] += 1
        return self._client.scan(**params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


def test_iter_query_fetches_pages_lazily(dynamorm_local: Any) -> None:
    events_table(dynamorm_local)
    client = CountingClient(dynamorm_local.client("dynamodb"))
    table = Table(EVENTS, client=client)
    items = table.iter_query("s", limit=PAGE)
    assert client.calls["query"] == 0
    first = [next(items) for _ in range(PAGE)]
    assert client.calls["query"] == 1
    first.append(next(items))
    assert client.calls["query"] == 2
    rest = list(items)
    assert_each_once(first + rest, range(TOTAL))
    assert client.calls["query"] in (TOTAL // PAGE + 1, TOTAL // PAGE + 2)
    scanned = table.iter_scan(limit=PAGE)
    next(scanned)
    assert client.calls["scan"] == 1


@dataclass
class Invoice:
    account: str = dynamorm_field(roles=["pk"])
    number: str = dynamorm_field(roles=["sk"])


INVOICES = ModelDefinition.from_dataclass(Invoice, table_name="invoices")


def counted_events(server: Any) -> tuple[Table[Event], CountingClient]:
    """40 events over streams "a" (even seq) and "b" (odd seq), and a table over a counting client."""
    load(server.table(EVENTS), (event(i, "ab"[i % 2]) for i in range(40)))
    client = CountingClient(server.client("dynamodb"))
    return Table(EVENTS, client=client), client


def test_a_cursor_from_another_partition_index_or_table_fails_before_anything_is_sent(
    dynamorm_local: Any,
) -> None:
    invoices = dynamorm_local.table(INVOICES)
    for n in range(3):
        invoices.put(Invoice("acct", f"inv{n}"))
    from_invoices = invoices.query("acct", limit=1).next_cursor
    table, client = counted_events(dynamorm_local)
    from_a = table.query("a", limit=3).next_cursor  # seq 0, 2, 4
    from_a_on_lsi = table.query("a", index_name="lsi-rank", limit=3).next_cursor
    scanned = table.scan(limit=3).next_cursor
    assert from_invoices and from_a and from_a_on_lsi and scanned
    client.calls.clear()
    attempts = [
        lambda: table.query("b", cursor=from_a),
        lambda: table.query("b", index_name="lsi-rank", cursor=from_a_on_lsi),
        lambda: table.query("a", index_name="lsi-rank", cursor=from_a),
        lambda: table.query("k", index_name="gsi-kind", cursor=from_a),
        lambda: table.query("a", cursor=from_invoices),
        lambda: table.scan(cursor=from_invoices),
        lambda: table.scan(index_name="lsi-rank", cursor=scanned),
        lambda: table.scan(segment=0, total_segments=2, cursor=from_invoices),
        lambda: table.query("a", sort=SortKeyCondition.between(20, 29), cursor=from_a),
        lambda: table.query_all("b", cursor=from_a),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert info.value.code == ERR_INVALID_CURSOR
        assert "<" not in str(info.value), "no server error page"
    assert sum(client.calls.values()) == 0, "nothing was sent"
    # The same cursors continue the requests they came from.
    assert [e.seq for e in table.query("a", limit=3, cursor=from_a).items] == [6, 8, 10]
    assert table.query("a", index_name="lsi-rank", limit=3, cursor=from_a_on_lsi).items
    assert len(table.scan(limit=3, cursor=scanned).items) == 3
    # Cursors the server issues inside a sort key condition fit it, on the table and on an index.
    items, pages = page_through(table, partition="a", sort=SortKeyCondition.between(10, 29), limit=3)
    assert [e.seq for e in items] == list(range(10, 30, 2)) and pages == 4
    under_500 = SortKeyCondition.lt(500)
    expected = [e.seq for e in table.query_all("k", index_name="gsi-kind", sort=under_500)]
    items, _ = page_through(table, partition="k", index_name="gsi-kind", sort=under_500, scan_forward=False)
    assert [e.seq for e in items] == expected[::-1] and len(expected) > PAGE


def test_a_key_condition_of_the_wrong_type_fails_before_anything_is_sent(dynamorm_local: Any) -> None:
    table, client = counted_events(dynamorm_local)
    attempts = [
        (lambda: table.query("a", sort=SortKeyCondition.begins_with(1)), ERR_INVALID_OPERATOR),
        (lambda: table.query("a", sort=SortKeyCondition.gt("5")), ERR_INVALID_VALUE),
        (lambda: table.query("a", sort=SortKeyCondition.between(1, "9")), ERR_INVALID_VALUE),
        (lambda: table.query(1), ERR_INVALID_VALUE),
        (lambda: table.query(True), ERR_INVALID_VALUE),
        (lambda: table.query("k", index_name="gsi-kind", sort=SortKeyCondition.lt("500")), ERR_INVALID_VALUE),
        (
            lambda: table.query("a", index_name="lsi-rank", sort=SortKeyCondition.begins_with("5")),
            ERR_INVALID_OPERATOR,
        ),
        (lambda: table.count("a", sort=SortKeyCondition.eq(True)), ERR_INVALID_VALUE),
    ]
    for attempt, code in attempts:
        with pytest.raises(ValidationError) as info:
            attempt()
        assert info.value.code == code
    assert sum(client.calls.values()) == 0, "nothing was sent"


def test_encrypted_fields_and_converters_apply_on_every_read(dynamorm_local: Any) -> None:
    table = dynamorm_local.table(NOTES)
    for n in range(12):
        table.put(Note("ada", n, body=f"secret {n}", label="mixed"))
    stored = table.client.get_item(TableName="notes_encrypted", Key={"owner": {"S": "ada"}, "n": {"N": "0"}})
    assert "M" in stored["Item"]["body"] and stored["Item"]["label"] == {"S": "MIXED"}
    expected = [Note("ada", n, body=f"secret {n}", label="mixed") for n in range(12)]
    assert table.query("ada", limit=5).items == expected[:5]
    assert table.query_all("ada", limit=5) == expected
    assert list(table.iter_query("ada", limit=5, scan_forward=False)) == expected[::-1]
    assert sorted(table.scan_all(limit=5), key=lambda note: note.n) == expected
    assert sorted(table.scan_all_segments(total_segments=2), key=lambda note: note.n) == expected
    assert table.query_with_retry("ada", sleep=None).items == expected
    first = table.scan(limit=5)
    assert len(first.items) == 5 and all(note in expected for note in first.items)
    assert sorted(table.iter_scan(limit=5), key=lambda note: note.n) == expected
    assert sorted(table.scan_with_retry(sleep=None).items, key=lambda note: note.n) == expected


def test_projection_reads_only_the_named_fields(dynamorm_local: Any) -> None:
    table = events_table(dynamorm_local)
    items = table.query("s", limit=3, projection=["stream", "seq", "rank"]).items
    assert [(e.seq, e.rank, e.label, e.bucket) for e in items] == [
        (i, event(i).rank, "x", 0) for i in range(3)
    ]


def test_query_with_retry_waits_for_an_item(dynamorm_local: Any) -> None:
    table = events_table(dynamorm_local)
    sleeps: list[float] = []

    def sleep_then_write(seconds: float) -> None:
        sleeps.append(seconds)
        table.put(event(5, "late"))

    page = table.query_with_retry("late", sleep=sleep_then_write)
    assert [e.seq for e in page.items] == [5]
    assert sleeps == [0.1]
