"""`ci init` through the CLI: writes the workflow once, refuses to clobber, --force resets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from greentic_iac.cli.main import run


def ci_init(tmp_path: Path, *extra: str) -> int:
    return run(
        ["--home", str(tmp_path / "home"), "ci", "init", "--dir", str(tmp_path / "repo"), *extra]
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    (tmp_path / "repo").mkdir()
    return tmp_path / "repo"


def test_ci_init_writes_the_github_workflow(
    tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ci_init(tmp_path) == 0
    envelope = json.loads(capsys.readouterr().out)
    path = repo / ".github" / "workflows" / "greentic-preview.yml"
    assert envelope["noun"] == "ci" and envelope["op"] == "init"
    assert envelope["result"]["path"] == str(path)
    assert envelope["result"]["provider"] == "github"
    assert "pull_request" in yaml.safe_load(path.read_text()).get(True, {})
    assert [p.name for p in path.parent.iterdir()] == ["greentic-preview.yml"]  # no temp left


def test_a_second_ci_init_refuses_and_leaves_the_file_untouched(
    tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ci_init(tmp_path) == 0
    path = repo / ".github" / "workflows" / "greentic-preview.yml"
    path.write_text("# my edits\n")
    capsys.readouterr()

    assert ci_init(tmp_path) == 2
    captured = capsys.readouterr()
    assert "already exists" in captured.out + captured.err
    assert str(path) in captured.err
    assert path.read_text() == "# my edits\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["greentic-preview.yml"]

    assert ci_init(tmp_path, "--force") == 0
    assert path.read_text().startswith("# Pull-request previews")


def test_ci_init_gitlab_writes_an_includable_file_and_says_how(
    tmp_path: Path, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ci_init(tmp_path, "--provider", "gitlab") == 0
    result = json.loads(capsys.readouterr().out)["result"]
    path = repo / ".gitlab" / "greentic-preview.yml"
    assert result == {
        "path": str(path),
        "provider": "gitlab",
        "next": result["next"],
        "docs": result["docs"],
    }
    assert Path(result["docs"]).name == "ci.md" and Path(result["docs"]).is_file()
    assert "include" in result["next"] and "GREENTIC_GITLAB_TOKEN" in result["next"]
    assert "greentic-preview" in yaml.safe_load(path.read_text())
    assert not (repo / ".gitlab-ci.yml").exists()  # the user's own file is theirs


def test_ci_init_into_a_missing_directory_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert ci_init(tmp_path) == 2
    assert "--dir" in capsys.readouterr().err
    assert not (tmp_path / "repo").exists()
