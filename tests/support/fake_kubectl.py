"""A fake ``kubectl`` (or any tool) first on a test's PATH, run by this interpreter.

The fakes are Python scripts kept beside their tests (each plays the part of the cluster
its tests need); this writes one as an executable behind a shebang naming this interpreter,
and points it, through the environment, at the files where it logs every argv (one JSON
list per line, ``FAKE_KUBECTL_LOG``) and keeps its objects (``FAKE_KUBECTL_STORE``).
"""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def install_script(directory: Path, name: str, source: str) -> Path:
    """``directory/name``: an executable running ``source`` with this interpreter."""
    path = directory / name
    path.write_text(f"#!{sys.executable}\n{source}", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def prepend_path(monkeypatch: pytest.MonkeyPatch, directory: Path) -> None:
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")


@dataclass
class FakeKubectl:
    bin_dir: Path
    log: Path
    store: Path

    def calls(self) -> list[list[str]]:
        """Every argv the fake was called with, in order."""
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]

    def stored(self) -> dict[str, Any]:
        """What the fake keeps (its own layout), or {} before its first write."""
        if not self.store.exists():
            return {}
        data: dict[str, Any] = json.loads(self.store.read_text(encoding="utf-8"))
        return data


def install_fake_kubectl(
    monkeypatch: pytest.MonkeyPatch,
    bin_dir: Path,
    source: str | Path,
    *,
    log: Path,
    store: Path | None = None,
) -> FakeKubectl:
    """``kubectl`` in ``bin_dir`` (made if missing) running ``source`` (a script or its text),
    ``bin_dir`` first on PATH, and the fake's log (and store) files in its environment."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    text = source.read_text(encoding="utf-8") if isinstance(source, Path) else source
    install_script(bin_dir, "kubectl", text)
    prepend_path(monkeypatch, bin_dir)
    monkeypatch.setenv("FAKE_KUBECTL_LOG", str(log))
    store = store if store is not None else log.with_name(f"{log.stem}-store.json")
    monkeypatch.setenv("FAKE_KUBECTL_STORE", str(store))
    return FakeKubectl(bin_dir, log, store)
