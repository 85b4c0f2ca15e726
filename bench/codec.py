"""Codec benchmark (a): encode, decode and round trip of 10,000 realistic records, four contenders.

The record (``_records.Order``) has nested maps, a list of maps, a string set, Decimals, bytes, an optional
field and a datetime. Contenders, each timed on the whole batch, interleaved over rounds (CPU time, the
garbage collector paused inside a sample as timeit does):

* boto3 ``TypeSerializer``/``TypeDeserializer`` over ``dataclasses.asdict`` (the baseline), building the
  dataclass back from the deserialized dict, as a boto3 user would;
* hand-written: an encoder/decoder written for exactly this record, the pure-Python limit;
* PynamoDB 6: ``Model.serialize()`` and ``Model.from_raw_data()`` of an equivalent model class;
* ours: the compiled per-model codec (``codec.encode_item`` / ``codec.decode_item``).

The raw boto3 client has no codec of its own: its users build AttributeValues by hand, which is the
hand-written row.

Fairness notes:
- boto3 cannot take ``float`` or ``datetime``: its twin record carries the timestamp as the already formatted
  string, so boto3 is not charged for formatting or parsing it while the others are.
- Ours runs without lifecycle (``encode_item(item)`` without ``now``) and without the item-size check, which
  no other contender does either.
- The encode and decode rows keep all 10,000 results alive, as a caller holding them would (every contender
  then faults in the same tens of MB of fresh dicts, a fixed cost that narrows the ratios); the round-trip
  row frees each item as it goes and shows the codec work itself.

Prints medians, spreads and ratios; asserts nothing. ``.venv/bin/python bench/codec.py [--rounds 7]``
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from _records import (
    ORDERS,
    BotoOrder,
    check_codecs,
    hand_decode,
    hand_encode,
    make_orders,
    pynamodb_order_model,
    to_boto,
    to_pynamodb,
)
from _support import interleave, machine_line, print_table
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

RECORDS = 10_000
BOTO, HAND, PYNAMO, OURS = "boto3 TypeSerializer", "hand-written", "PynamoDB 6", "ours"


def contenders(records: int) -> dict[str, dict[str, Any]]:
    """``{row: {contender: run}}`` for encode, decode and round trip."""
    codec = ORDERS.codec
    orders = make_orders(records)
    check_codecs(orders[:200])
    boto_orders = [to_boto(o) for o in orders]
    pyn_model = pynamodb_order_model()
    pyn_orders = [to_pynamodb(pyn_model, o) for o in orders]
    serialize, deserialize = TypeSerializer().serialize, TypeDeserializer().deserialize
    encode, decode = codec.encode_item, codec.decode_item
    from_raw = pyn_model.from_raw_data

    def boto_encode() -> list[dict[str, Any]]:
        return [{k: serialize(v) for k, v in dataclasses.asdict(o).items()} for o in boto_orders]

    ours_items = [encode(o).item for o in orders]
    boto_items = boto_encode()
    pyn_items = [o.serialize() for o in pyn_orders]
    assert from_raw(pyn_items[0]).serialize() == pyn_items[0]

    return {
        "encode": {
            BOTO: boto_encode,
            HAND: lambda: [hand_encode(o) for o in orders],
            PYNAMO: lambda: [o.serialize() for o in pyn_orders],
            OURS: lambda: [encode(o).item for o in orders],
        },
        "decode": {
            BOTO: lambda: [BotoOrder(**{k: deserialize(v) for k, v in av.items()}) for av in boto_items],
            HAND: lambda: [hand_decode(av) for av in ours_items],
            PYNAMO: lambda: [from_raw(av) for av in pyn_items],
            OURS: lambda: [decode(av) for av in ours_items],
        },
        "round trip": {
            BOTO: lambda: [
                BotoOrder(**{k: deserialize(serialize(v)) for k, v in dataclasses.asdict(o).items()})
                for o in boto_orders
            ],
            HAND: lambda: [hand_decode(hand_encode(o)) for o in orders],
            PYNAMO: lambda: [from_raw(o.serialize()) for o in pyn_orders],
            OURS: lambda: [decode(encode(o).item) for o in orders],
        },
    }


def main() -> dict[str, dict[str, dict[str, float]]]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    print(f"(a) codec: {args.records:,} records per sample; {machine_line()}")
    results = {}
    for row, runs in contenders(args.records).items():
        samples = interleave(runs, args.rounds, gc_off=True)
        results[row] = print_table(
            f"{row} of {args.records:,} records (ms per {args.records:,})",
            samples,
            unit="ms",
            baselines=[BOTO, HAND],
        )
    ratios = results["round trip"][OURS]
    print(
        f"\n  round trip, ours: {1 / ratios[BOTO]:.2f}x the speed of boto3's TypeSerializer path, "
        f"{1 / ratios[HAND]:.2f}x the speed of the hand-written limit"
    )
    return results


if __name__ == "__main__":
    main()
