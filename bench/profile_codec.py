"""The codec against a hand-written encoder/decoder for bench/codec.py's record (the pure-Python limit).

The hand-written pair knows the record's declared field types and the stored form (attribute names, the
timestamp format) and does nothing else: no type checks, no lifecycle, no error context. Values annotated
``Any`` (the order lines and the shipping map) are written and read with a small type dispatch, as a
knowledgeable user would write for values whose shape the annotation does not state.

Run: ``.venv/bin/python bench/profile_codec.py`` (``--profile encode|decode`` for a cProfile of ours).
"""

from __future__ import annotations

import cProfile
import gc
import inspect
import pstats
import sys
import time
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from codec import RECORDS, Order, make_orders  # type: ignore[import-not-found]

from dynamorm_py.model import ModelDefinition

ROUNDS = 15


def _enc_any(v: Any) -> dict[str, Any]:
    t = type(v)
    if t is str:
        return {"S": v}
    if t is bool:
        return {"BOOL": v}
    if t is int:
        return {"N": str(v)}
    if t is Decimal:
        return {"N": str(v)}
    if t is dict:
        return {"M": {k: _enc_any(x) for k, x in v.items()}}
    if t is list:
        return {"L": [_enc_any(x) for x in v]}
    if v is None:
        return {"NULL": True}
    raise TypeError(t)


def _dec_any(av: dict[str, Any]) -> Any:
    if "S" in av:
        return av["S"]
    if "N" in av:
        n = av["N"]
        return Decimal(n) if "." in n or "e" in n or "E" in n else int(n)
    if "M" in av:
        return {k: _dec_any(x) for k, x in av["M"].items()}
    if "L" in av:
        return [_dec_any(x) for x in av["L"]]
    if "BOOL" in av:
        return av["BOOL"]
    if "NULL" in av:
        return None
    raise TypeError("unexpected attribute value")


def hand_encode(o: Order) -> dict[str, Any]:
    c = o.created
    out: dict[str, Any] = {
        "PK": {"S": o.pk},
        "SK": {"S": o.sk},
        "customer": {"S": o.customer},
        "email": {"S": o.email},
        "status": {"S": o.status},
        "quantity": {"N": str(o.quantity)},
        "total": {"N": str(o.total)},
        "paid": {"BOOL": o.paid},
        "tags": {"SS": sorted(o.tags)},
        "lines": {"L": [_enc_any(x) for x in o.lines]},
        "shipping": _enc_any(o.shipping),
        "checksum": {"B": o.checksum},
    }
    if o.coupon is not None:
        out["coupon"] = {"S": o.coupon}
    if c is not None:
        out["created"] = {
            "S": "%04d-%02d-%02dT%02d:%02d:%02d.%06d000Z"  # noqa: UP031
            % (c.year, c.month, c.day, c.hour, c.minute, c.second, c.microsecond)
        }
    return out


_fromiso = datetime.fromisoformat


def hand_decode(av: dict[str, Any]) -> Order:
    coupon = av.get("coupon")
    created = av.get("created")
    return Order(
        pk=av["PK"]["S"],
        sk=av["SK"]["S"],
        customer=av["customer"]["S"],
        email=av["email"]["S"],
        status=av["status"]["S"],
        quantity=int(av["quantity"]["N"]),
        total=Decimal(av["total"]["N"]),
        paid=av["paid"]["BOOL"],
        tags=set(av["tags"]["SS"]),
        lines=[_dec_any(x) for x in av["lines"]["L"]],
        shipping=_dec_any(av["shipping"]),
        checksum=av["checksum"]["B"],
        coupon=None if coupon is None else coupon["S"],
        created=None if created is None else _fromiso(created["S"]),
    )


def best(runs: dict[str, Callable[[], object]]) -> dict[str, float]:
    out = dict.fromkeys(runs, float("inf"))
    gc.collect()
    gc.disable()
    try:
        for _ in range(ROUNDS):
            for name, run in runs.items():
                started = time.thread_time()  # CPU of this thread: less swayed by a busy machine
                run()
                out[name] = min(out[name], time.thread_time() - started)
    finally:
        gc.enable()
    return {k: v * 1000 for k, v in out.items()}


def main() -> None:
    codec = ModelDefinition.from_dataclass(Order).codec
    orders = make_orders(RECORDS)
    items = [codec.encode_item(o).item for o in orders]
    assert [hand_encode(o) for o in orders] == items
    assert [hand_decode(av) for av in items] == orders
    if "--source" in sys.argv:
        print(inspect.getsource(codec._decode))
        print(inspect.getsource(codec._encode_all))
        return
    encode, decode = codec.encode_item, codec.decode_item
    if "--profile" in sys.argv:
        which = sys.argv[sys.argv.index("--profile") + 1]
        if which == "encode":
            work: Callable[[], object] = lambda: [encode(o) for o in orders]  # noqa: E731
        else:
            work = lambda: [decode(a) for a in items]  # noqa: E731
        profile = cProfile.Profile()
        profile.runcall(lambda: [work() for _ in range(3)])
        pstats.Stats(profile).sort_stats("tottime").print_stats(15)
        return
    runs: dict[str, Callable[[], object]] = {
        "ours encode": lambda: [encode(o) for o in orders],
        "hand encode": lambda: [hand_encode(o) for o in orders],
        "ours decode": lambda: [decode(a) for a in items],
        "hand decode": lambda: [hand_decode(a) for a in items],
        "ours round trip": lambda: [decode(encode(o).item) for o in orders],
        "hand round trip": lambda: [hand_decode(hand_encode(o)) for o in orders],
    }
    ms = best(runs)
    print(f"{RECORDS:,} records, best of {ROUNDS}, Python {sys.version.split()[0]}")
    for side in ("encode", "decode", "round trip"):
        ours, hand = ms[f"ours {side}"], ms[f"hand {side}"]
        print(f"{side:<11} ours {ours:8.1f} ms  hand {hand:8.1f} ms  ours/hand speed {hand / ours:5.2f}x")


if __name__ == "__main__":
    main()
