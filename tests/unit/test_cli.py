"""The ``dynamorm`` command line: version, usage errors, error reporting, and the version module."""

from __future__ import annotations

import io
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


# dms and table commands ----------------------------------------------------------------------------------

FIXTURES = Path(__file__).parent.parent / "fixtures" / "dms"


def test_dms_validate_prints_ok_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(FIXTURES / "user.yml"), str(FIXTURES / "order.yml")]

    assert cli.main(["dms", "validate", *files]) == 0

    assert capsys.readouterr().out == f"{files[0]}: ok (1 model)\n{files[1]}: ok (1 model)\n"


def test_dms_validate_reports_each_bad_file_and_exits_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        (FIXTURES / "user.yml").read_text(encoding="utf-8").replace('"0.1"', "0.1"), encoding="utf-8"
    )
    camel = tmp_path / "camel.yml"
    camel.write_text(
        (FIXTURES / "user.yml").read_text(encoding="utf-8").replace('"emailHash"', '"email_hash"'),
        encoding="utf-8",
    )
    good = str(FIXTURES / "order.yml")

    assert cli.main(["dms", "validate", str(bad), good, str(camel), str(tmp_path / "missing.yml")]) == 1

    captured = capsys.readouterr()
    assert captured.out == f"{good}: ok (1 model)\n"
    errors = captured.err.splitlines()
    assert errors[0].startswith(f'error: ErrInvalidModel: {bad}: dms_version must be the quoted string "0.1"')
    assert errors[1].startswith(f"error: ErrInvalidModel: {camel}: User.email_hash: attribute name does not")
    assert errors[2] == f"error: FileNotFoundError: {tmp_path / 'missing.yml'}: No such file or directory"
    assert cli.main(["dms", "validate", "--no-enforce-naming", str(camel)]) == 0


def test_dms_validate_prints_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "extra.yml"
    path.write_text((FIXTURES / "order.yml").read_text(encoding="utf-8") + "owner: team\n", encoding="utf-8")

    assert cli.main(["dms", "validate", str(path)]) == 0

    assert capsys.readouterr().err == f"warning: {path}: document: unknown key 'owner' ignored\n"


MODELS_MODULE = """
from dataclasses import dataclass
from dynamorm_py import ModelDefinition, dynamorm_field

@dataclass
class Note:
    note_id: str = dynamorm_field(roles=["pk"])
    body: str = ""

@dataclass
class Tag:
    tag: str = dynamorm_field(roles=["pk"])

NOTES = ModelDefinition.from_dataclass(Note, table_name="notes", naming="camelCase")
TAGS = ModelDefinition.from_dataclass(Tag, table_name="tags")
ALIAS = NOTES
NOT_A_MODEL = 3
"""


@pytest.fixture
def models_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    name = f"cli_models_{abs(hash(tmp_path)) % 10**8}"
    (tmp_path / f"{name}.py").write_text(MODELS_MODULE, encoding="utf-8")
    (tmp_path / f"{name}_broken.py").write_text("raise RuntimeError('boom')\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_dms_export_writes_every_module_model_in_definition_order(
    models_module: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dms", "export", models_module, "--namespace", "notes"]) == 0

    out = capsys.readouterr().out
    assert out.startswith('dms_version: "0.1"\nnamespace: "notes"\nmodels:\n- name: "Note"\n')
    assert out.count('- name: "') == 2 and out.index('name: "Note"') < out.index('name: "Tag"')
    assert 'attribute: "noteId"' in out


def test_dms_export_one_model_as_json_to_a_file(
    models_module: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out.json"

    assert cli.main(["dms", "export", f"{models_module}:TAGS", "--format", "json", "-o", str(target)]) == 0

    assert capsys.readouterr().out == ""
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert [m["name"] for m in doc["models"]] == ["Tag"]


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        (":NOT_A_MODEL", "error: ErrInvalidModel: {m}:NOT_A_MODEL: a int, not a ModelDefinition"),
        (":MISSING", "error: ErrInvalidModel: {m}:MISSING: not found"),
        ("_broken", "error: ImportError: cannot import '{m}_broken': RuntimeError: boom"),
    ],
)
def test_dms_export_bad_targets_are_operation_errors(
    models_module: str, suffix: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["dms", "export", models_module + suffix]) == 1

    assert capsys.readouterr().err == expected.format(m=models_module) + "\n"


def test_dms_export_of_a_module_without_models_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["dms", "export", "json"]) == 1

    assert "json: the module defines no ModelDefinition" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["dms"],
        ["dms", "validate"],
        ["dms", "export", "mod:"],
        ["dms", "export", "x", "--format", "toml"],
        ["table"],
        ["table", "create", "--model", "User"],
        ["table", "create", "--dms", "x.yml"],
        ["table", "describe", "--dms", "x.yml", "--model", "User", "--no-wait"],
        [
            "table",
            "create",
            "--dms",
            "x.yml",
            "--model",
            "User",
            "--read-capacity",
            "0",
            "--write-capacity",
            "1",
        ],
        ["table", "delete", "--dms", "x.yml", "--model", "User", "--enable-ttl"],
    ],
)
def test_bad_dms_and_table_arguments_are_usage_errors(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2

    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [
        ["--read-capacity", "1"],
        ["--billing-mode", "PAY_PER_REQUEST", "--read-capacity", "1", "--write-capacity", "1"],
    ],
)
def test_capacities_that_do_not_go_together_are_usage_errors(
    extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "table",
        "create",
        "--dms",
        str(FIXTURES / "user.yml"),
        "--model",
        "User",
        "--region",
        "us-east-1",
    ]

    assert cli.main(argv + extra) == 2

    assert "capacity" in capsys.readouterr().err


def test_table_with_an_unknown_model_lists_the_models(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "table",
        "describe",
        "--dms",
        str(FIXTURES / "user.yml"),
        "--model",
        "Order",
        "--region",
        "us-east-1",
    ]

    assert cli.main(argv) == 1

    assert capsys.readouterr().err == (
        f"error: ErrInvalidModel: {FIXTURES / 'user.yml'}: no model named 'Order' (models: User)\n"
    )


def test_an_unknown_profile_is_an_operation_error(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["table", "describe", "--dms", str(FIXTURES / "user.yml"), "--model", "User"]

    assert cli.main([*argv, "--profile", "no-such-profile-here"]) == 1

    assert (
        capsys.readouterr().err == "error: ErrNoCredentials: AWS profile 'no-such-profile-here' not found\n"
    )


def test_table_help_lists_the_aws_options(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["table", "create", "--help"]) == 0

    out = capsys.readouterr().out
    for option in (
        "--endpoint-url",
        "--region",
        "--profile",
        "--billing-mode",
        "--stream-view-type",
        "--no-wait",
    ):
        assert option in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "expected"), [(io.StringIO(), "waiting (1s)\n"), (_Terminal(), "\rwaiting | 1s")]
)
def test_progress_shows_after_a_second(stream: io.StringIO, expected: str) -> None:
    progress = cli._Progress("waiting", stream)
    progress.sleep(0)
    assert stream.getvalue() == ""  # a wait shorter than a second shows nothing

    progress._start -= 1.5
    progress.sleep(0)

    assert stream.getvalue() == expected
