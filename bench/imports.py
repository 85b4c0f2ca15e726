"""Import time (d): what ``import dynamorm_py`` (and ``Table``) adds over ``import boto3``, against PynamoDB.

Each sample is a fresh interpreter that times, with ``time.perf_counter`` around the import statements,
``import boto3`` and then the contender's own import on top of it:

* raw boto3 client / hand-written codec: nothing beyond ``import boto3`` (the baseline, 0 by definition);
* boto3 TypeSerializer: ``from boto3.dynamodb.types import TypeSerializer, TypeDeserializer``;
* PynamoDB 6: ``from pynamodb.models import Model`` and its attributes (it needs botocore, not boto3);
* ours: ``import dynamorm_py`` and ``from dynamorm_py import Table, ModelDefinition``.

Compiled bytecode, as in a deployed Lambda package: these machines set ``PYTHONDONTWRITEBYTECODE=1``, so the
children run with it unset and ``PYTHONPYCACHEPREFIX`` pointing at a temporary directory that a first
untimed run per contender fills (the virtualenv and the source tree are left untouched). Contenders are
interleaved over ``--runs`` fresh interpreters each; prints the median (min-max) in ms, and the ten largest
self times under ``dynamorm_py`` from one ``python -X importtime`` run. Asserts nothing.

    .venv/bin/python bench/imports.py [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from _support import machine_line, spread

CONTENDERS = {
    "raw boto3 client": "",
    "boto3 TypeSerializer": "from boto3.dynamodb.types import TypeSerializer, TypeDeserializer",
    "PynamoDB 6": "from pynamodb.models import Model\nfrom pynamodb.attributes import UnicodeAttribute",
    "ours": "import dynamorm_py\nfrom dynamorm_py import Table, ModelDefinition",
}
CHILD = """\
import time
t0 = time.perf_counter()
import boto3
t1 = time.perf_counter()
{extra}
t2 = time.perf_counter()
print((t1 - t0) * 1e3, (t2 - t1) * 1e3)
"""


def child_env(cache: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def run(code: str, env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code], env=env, capture_output=True, text=True, check=True
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    print(f"(d) import time, fresh interpreters with compiled bytecode; {machine_line()}")
    with tempfile.TemporaryDirectory(prefix="bench-pyc-") as cache:
        env = child_env(cache)
        for extra in CONTENDERS.values():  # compiles everything into the cache
            run(CHILD.format(extra=extra), env)
        boto: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        added: dict[str, list[float]] = {name: [] for name in CONTENDERS}
        names = list(CONTENDERS)
        for index in range(args.runs):
            shift = index % len(names)
            for name in names[shift:] + names[:shift]:
                first, second = map(float, run(CHILD.format(extra=CONTENDERS[name]), env).stdout.split())
                boto[name].append(first)
                added[name].append(second)
        profile = run(
            "import boto3\nimport dynamorm_py\nfrom dynamorm_py import Table", env, "-X", "importtime"
        )

    all_boto = [value for values in boto.values() for value in values]
    print(f"\n  import boto3 alone: {spread(all_boto)} ms, median (min-max) of {len(all_boto)} interpreters")
    print(f"  {'contender':<26}{'adds over import boto3, ms':>32}{'x import boto3':>18}")
    base = statistics.median(all_boto)
    for name in names:
        print(f"  {name:<26}{spread(added[name]):>32}{statistics.median(added[name]) / base:>18.2f}")

    rows = []
    for line in profile.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and "dynamorm_py" in parts[2]:
            rows.append((int(parts[0].split(":")[1]), int(parts[1]), parts[2].strip()))
    rows.sort(reverse=True)
    total = sum(self_us for self_us, _, _ in rows)
    print(f"\n  python -X importtime, one run: self time under dynamorm_py {total / 1e3:.1f} ms; largest:")
    for self_us, cumulative, name in rows[:10]:
        print(f"    {name:<44}{self_us / 1e3:>8.1f} ms self{cumulative / 1e3:>9.1f} ms cumulative")


if __name__ == "__main__":
    main()
