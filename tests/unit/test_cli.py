"""The ``dynamorm`` command line: version, usage errors, error reporting, and the version module."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from botocore.exceptions import EndpointConnectionError

from dynamorm_py import _version, cli
from dynamorm_py.errors import TableNotFoundError


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0

    assert capsys.readouterr().out == f"dynamorm-py {_version.__version__}\n"


def test_version_matches_the_packaged_version_json() -> None:
    packaged = json.loads((Path(_version.__file__).parent / "version.json").read_text(encoding="utf-8"))

    assert _version.__repo_version__ == packaged["version"]
    assert _version.__version__ == _version.pep440_version(packaged["version"])


def test_python_dash_m_runs_the_same_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dynamorm_py", "--version"], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0
    assert result.stdout == f"dynamorm-py {_version.__version__}\n"


def test_missing_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2

    assert "usage: dynamorm" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--no-such-option"],
        ["no-such-command"],
        ["local", "--port", "not-a-port"],
        ["local", "--port", "65536"],
        ["local", "--unknown"],
    ],
)
def test_bad_arguments_are_usage_errors(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2

    assert "error:" in capsys.readouterr().err


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0

    assert "local" in capsys.readouterr().out


def test_local_help_lists_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["local", "--help"]) == 0

    out = capsys.readouterr().out
    for option in ("--host", "--port", "--region", "--kms-key"):
        assert option in out


def test_operation_error_is_reported_with_its_code_and_exit_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: object) -> int:
        raise TableNotFoundError("table not found", table="users")

    monkeypatch.setattr(cli, "_run_local", fail)

    assert cli.main(["local"]) == 1

    assert capsys.readouterr().err == "error: ErrTableNotFound: table not found\n"


def test_a_transport_failure_is_reported_with_the_library_code(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(args: object) -> int:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    monkeypatch.setattr(cli, "_run_local", fail)

    assert cli.main(["local"]) == 1

    assert capsys.readouterr().err == (
        "error: ErrTransport: EndpointConnectionError: could not reach http://127.0.0.1:1; "
        "the request was not sent\n"
    )


def test_missing_extra_is_reported_as_an_operation_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)
    monkeypatch.setitem(sys.modules, "moto.server", None)

    assert cli.main(["local", "--port", "0"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("error: ImportError: ")
    assert "dynamorm-py[local]" in err


def test_unexpected_exceptions_are_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(args: object) -> int:
        raise KeyError("bug")

    monkeypatch.setattr(cli, "_run_local", crash)

    with pytest.raises(KeyError):
        cli.main(["local"])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.2.3-rc.4", "1.2.3rc4"),
        ("1.2.3-rc4", "1.2.3rc4"),
        ("10.20.30-rc.12", "10.20.30rc12"),
        ("1.2.3", "1.2.3"),
        ("1.2.3rc4", "1.2.3rc4"),
        ("1.2.3-beta.1", "1.2.3-beta.1"),
        ("1.2-rc.1", "1.2-rc.1"),
        ("1.2.3-rc.4+build", "1.2.3-rc.4+build"),
        ("0.0.0", "0.0.0"),
    ],
)
def test_pep440_version_rewrites_only_release_candidates(raw: str, expected: str) -> None:
    assert _version.pep440_version(raw) == expected


@pytest.mark.parametrize(
    "content",
    [None, "", "not json", "[]", '{"other": "1.0.0"}', '{"version": 1}', '{"version": ""}'],
)
def test_repo_version_falls_back_when_version_json_is_missing_or_unreadable(
    content: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if content is not None:
        (tmp_path / "version.json").write_text(content, encoding="utf-8")
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)

    assert _version.read_repo_version() == "0.0.0"


def test_repo_version_reads_the_raw_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "version.json").write_text('{"version": "2.0.0-rc.1"}', encoding="utf-8")
    monkeypatch.setattr(resources, "files", lambda package: tmp_path)

    assert _version.read_repo_version() == "2.0.0-rc.1"
