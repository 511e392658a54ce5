"""A CLI run's outcome, and the CLI in this process: ``run_cli(home, *argv)``.

Shared by the integration tests that drive many verbs in-process (a subprocess per verb costs
a Python start-up); the console-script tests run a subprocess but report the same Outcome.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def result(self) -> Any:
        return self.json["result"]


def run_cli(home: Path, *argv: str, output: str = "json") -> Outcome:
    """``greentic-iac --home HOME --output OUTPUT ARGV...`` in this process."""
    return run_argv("--home", str(home), "--output", output, *argv)


def run_argv(*argv: str) -> Outcome:
    """``greentic-iac ARGV...`` in this process, with exactly ``argv`` (stdout a pipe)."""
    from greentic_iac.cli.main import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run(list(argv))
        except SystemExit as exc:  # argparse usage errors
            code = int(exc.code or 0)
    return Outcome(code, out.getvalue(), err.getvalue())
