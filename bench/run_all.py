"""Runs every benchmark, one after another, each in its own interpreter; ``make bench`` calls this.

The issue-level benchmarks first, (a) to (g), then the older single-topic scripts. Each prints its own
tables (medians, spreads, ratios to baselines measured in the same run); nothing is asserted. A failing
script is reported and the others still run; the exit status is non-zero if any failed.

    .venv/bin/python bench/run_all.py [--quick] [--only codec ops ...]

``--quick`` runs fewer rounds and items (about a third of the time; wider spreads).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _support import machine_line

HERE = Path(__file__).parent
# (script, full arguments, quick arguments)
SCRIPTS: list[tuple[str, list[str], list[str]]] = [
    ("codec", [], ["--rounds", "3"]),
    ("ops", [], ["--rounds", "3"]),
    ("iterate", [], ["--rounds", "2"]),
    ("imports", [], ["--runs", "5"]),
    ("encryption", [], ["--items", "100", "--repeat", "3"]),
    ("async_gets", ["--items", "500"], ["--items", "200", "--rounds", "3"]),
    ("cold_start", [], ["--runs", "3"]),
    ("write", [], []),
    ("query", [], []),
    ("batch", ["--items", "2000"], ["--items", "1000"]),
    ("single_table", [], ["--repeat", "3"]),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", choices=[name for name, _, _ in SCRIPTS])
    args = parser.parse_args()
    print(f"dynamorm-py benchmarks, {time.strftime('%Y-%m-%d %H:%M')}; {machine_line()}", flush=True)
    failed = []
    for name, full, quick in SCRIPTS:
        if args.only and name not in args.only:
            continue
        command = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full)]
        print(
            f"\n{'=' * 100}\n$ {' '.join(['bench/' + name + '.py', *command[2:]])}\n{'=' * 100}", flush=True
        )
        started = time.perf_counter()
        if subprocess.run(command).returncode:
            failed.append(name)
        print(f"[{name}: {time.perf_counter() - started:.0f} s]", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
