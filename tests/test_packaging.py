"""The package as users install it: ``python -m build`` makes an sdist and a wheel, and the wheel, installed
into a fresh virtual environment, imports, reports its version, runs ``dynamorm`` and ships ``py.typed``.

It runs offline once the dev environment is installed: the sdist and the wheel are built with
``--no-isolation`` (``build`` and ``hatchling`` are in the ``dev`` extra), the wheel is installed with
``--no-index --no-deps``, and the runtime dependencies come from the running environment's site-packages,
which a ``.pth`` file appends to the fresh venv's ``sys.path``. Only a plain path is appended, so that
environment's own ``.pth`` files (among them the editable install of this checkout) are not processed: the
``dynamorm_py`` that imports is the installed wheel's, which the test checks.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from dynamorm_py._version import pep440_version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
REPO_VERSION = json.loads((ROOT / "src" / "dynamorm_py" / "version.json").read_text(encoding="utf-8"))[
    "version"
]


def run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist, and the wheel built from that sdist (so a file missing from the sdist breaks the wheel)."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT)
    return out


def only(directory: Path, pattern: str) -> Path:
    (found,) = directory.glob(pattern)
    return found


@pytest.mark.slow
def test_build_makes_an_sdist_and_a_wheel_named_for_the_version(dist: Path) -> None:
    version = pep440_version(REPO_VERSION)

    assert only(dist, "*.tar.gz").name == f"dynamorm_py-{version}.tar.gz"
    assert only(dist, "*.whl").name == f"dynamorm_py-{version}-py3-none-any.whl"


@pytest.mark.slow
def test_the_wheel_ships_the_typing_marker_the_version_and_the_entry_points(dist: Path) -> None:
    with zipfile.ZipFile(only(dist, "*.whl")) as wheel:
        names = set(wheel.namelist())
        (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_text = wheel.read(entry_points).decode("utf-8")
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata_text = wheel.read(metadata).decode("utf-8")

    assert {"dynamorm_py/py.typed", "dynamorm_py/version.json", "dynamorm_py/__init__.py"} <= names
    assert not [n for n in names if n.startswith(("tests/", "examples/", "bench/"))]
    assert "dynamorm = dynamorm_py.cli:main" in entry_text
    assert "dynamorm = dynamorm_py.pytest_plugin" in entry_text
    assert "Classifier: Typing :: Typed" in metadata_text
    assert "Requires-Python: >=3.11" in metadata_text


@pytest.mark.slow
def test_the_sdist_holds_the_sources_tests_and_changelog(dist: Path) -> None:
    with tarfile.open(only(dist, "*.tar.gz")) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}

    assert {"pyproject.toml", "README.md", "CHANGELOG.md", "src/dynamorm_py/py.typed"} <= names
    assert "tests/test_packaging.py" in names
    tops = {name.split("/", 1)[0] for name in names}
    assert tops <= {
        "src",
        "tests",
        "examples",
        "docs",
        "bench",
        "README.md",
        "CHANGELOG.md",
        "Makefile",
        "pyproject.toml",
        "PKG-INFO",
        ".gitignore",
    }


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_venv_and_runs(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    python = venv / "bin" / "python"
    fresh_site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    # The runtime dependencies (boto3, cryptography, PyYAML) from this environment, without its .pth files.
    here = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (fresh_site / "zz_runtime_dependencies.pth").write_text("\n".join(sorted(here)) + "\n", encoding="utf-8")

    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-index",
        "--no-deps",
        only(dist, "*.whl"),
    )

    probe = (
        "import json, dynamorm_py, dynamorm_py.table; "
        "print(json.dumps([dynamorm_py.__file__, dynamorm_py.__version__, dynamorm_py.__repo_version__]))"
    )
    location, version, repo_version = json.loads(run(python, "-c", probe, cwd=tmp_path))
    assert Path(location).is_relative_to(fresh_site)
    assert (version, repo_version) == (pep440_version(REPO_VERSION), REPO_VERSION)
    assert (Path(location).parent / "py.typed").is_file()
    assert run(venv / "bin" / "dynamorm", "--version") == f"dynamorm-py {version}\n"


def test_classifiers_name_the_pythons_make_test_pythons_runs() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (listed,) = re.findall(r"^SUPPORTED_PYTHONS := (.+)$", makefile, flags=re.MULTILINE)
    declared = [
        c.rsplit(" :: ", 1)[1]
        for c in PYPROJECT["project"]["classifiers"]
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]

    assert declared == listed.split()
    assert PYPROJECT["project"]["requires-python"] == f">={declared[0]}"


def test_the_changelog_announces_the_packaged_version_as_a_release_tag() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    unreleased = changelog.split("## [Unreleased]", 1)[1].split("\n## ", 1)[0]

    assert re.fullmatch(r"\d+\.\d+\.\d+(-rc\.\d+)?", REPO_VERSION)
    assert f"`{REPO_VERSION}`" in unreleased
