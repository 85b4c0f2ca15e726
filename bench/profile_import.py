"""What importing dynamorm_py costs on top of ``import boto3``, from compiled bytecode, in fresh interpreters.

Copies the package to a temporary directory, compiles it (this machine may set PYTHONDONTWRITEBYTECODE, which
would otherwise charge every run for compiling), then runs fresh interpreters with ``-X importtime`` and sums
the cumulative time of every top-level import that follows ``import boto3``. Prints the median and minimum of
the runs for ``import dynamorm_py`` and for what a Lambda handler imports (``Table`` and the model helpers).
``--tree`` prints one run's import tree of the package. Run: ``.venv/bin/python bench/profile_import.py``.
"""

from __future__ import annotations

import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import dynamorm_py

RUNS = 9
CASES = {
    "import dynamorm_py": "import boto3; import dynamorm_py",
    "+ Table, ModelDefinition, dynamorm_field": (
        "import boto3; from dynamorm_py import Table, ModelDefinition, dynamorm_field"
    ),
}


def added_ms(code: str, path: str) -> tuple[float, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = path
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], env=env, capture_output=True, text=True, check=True
    )
    lines = result.stderr.splitlines()
    after = False
    total = 0
    tree = []
    for line in lines:
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line.split("|")
        if after:
            tree.append(line)
            if not name.startswith("  "):  # a top-level import: its cumulative includes its children
                total += int(cumulative)
        elif name.strip() == "boto3" and not name.startswith("  "):
            after = True
    return total / 1000, "\n".join(tree)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "dynamorm_py"
        shutil.copytree(Path(dynamorm_py.__file__).parent, target)
        compileall.compile_dir(target, quiet=1)
        added_ms("import boto3; import dynamorm_py", tmp)  # warm the file cache
        if "--tree" in sys.argv:
            print(added_ms(CASES["+ Table, ModelDefinition, dynamorm_field"], tmp)[1])
            return
        for label, code in CASES.items():
            samples = [added_ms(code, tmp)[0] for _ in range(RUNS)]
            print(
                f"{label:<42} adds {statistics.median(samples):6.1f} ms median, "
                f"{min(samples):6.1f} ms min over import boto3 ({RUNS} runs)"
            )


if __name__ == "__main__":
    main()
