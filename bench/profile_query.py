"""Where the CPU of ``Table.query`` goes beyond the raw client: cProfile of one-page queries on the stub
transport of ``bench/query.py``, the library's own functions listed apart from botocore's.

    .venv/bin/python bench/profile_query.py [--pages 200]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats

from query import ORDERS, PAGE_SIZE, StubTransport, make_client

from dynamorm_py import Table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    args = parser.parse_args()
    client = make_client("http://127.0.0.1:9")
    stub = StubTransport(client)
    table = Table(ORDERS, client=client)
    params = table.explain.query("c1", limit=PAGE_SIZE).params

    for title, run in (
        ("raw client.query, one page each", lambda: client.query(**params)),
        ("Table.query, one page each", lambda: table.query("c1", limit=PAGE_SIZE)),
    ):
        stub.reset(1)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.pages):
            run()
        profile.disable()
        stats = pstats.Stats(profile)
        total = stats.total_tt  # type: ignore[attr-defined]
        print(f"\n{title}: {total / args.pages * 1e3:.3f} ms per page (profiled)")
        ours = {
            key: value
            for key, value in stats.stats.items()  # type: ignore[attr-defined]
            if "dynamorm_py" in key[0] or key[0].startswith("<dynamorm_py")
        }
        own = sum(value[2] for value in ours.values())
        print(f"  dynamorm_py's own functions: {own / args.pages * 1e3:.3f} ms per page")
        for (file, line, name), value in sorted(ours.items(), key=lambda kv: -kv[1][2])[:8]:
            print(f"    {value[2] / args.pages * 1e6:8.1f} us  {name}  ({file.rsplit('/', 1)[-1]}:{line})")


if __name__ == "__main__":
    main()
