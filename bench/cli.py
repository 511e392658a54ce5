"""Read-verb start-up cost: ``greentic-iac env list`` against ``python -c "import pydantic"``.

Also what shell completion costs: nothing at start-up (the scripts are generated from the
verb table, no argcomplete hook), and per TAB on an environment id one
``completion --environments`` call, shown against the same baseline.

Both run the same way (a fresh interpreter per call) in the same run; the figure is the
ratio of their medians. Target: <= 1.3x (read verbs must not import pulumi, boto3,
aiohttp or jinja2).
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = 15


def _median_seconds(argv: list[str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, timeout=60)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    script = shutil.which("greentic-iac", path=str(Path(sys.executable).parent))
    assert script is not None, "greentic-iac is not installed in this interpreter's venv"
    with tempfile.TemporaryDirectory() as home:
        subprocess.run([script, "--home", home, "env", "init"], check=True, capture_output=True)
        cli = _median_seconds([script, "--home", home, "--output", "json", "env", "list"])
        tab = _median_seconds([script, "--home", home, "completion", "--environments"])
    baseline = _median_seconds([sys.executable, "-c", "import pydantic"])
    print(f"{'figure':<40}{'value':>12}")
    print(f"{'median python -c import pydantic (s)':<40}{baseline:>12.3f}")
    print(f"{'median greentic-iac env list (s)':<40}{cli:>12.3f}")
    print(f"{'ratio (target <= 1.3)':<40}{cli / baseline:>12.2f}")
    print(f"{'median completion --environments (s)':<40}{tab:>12.3f}")
    print(f"{'ratio TAB / pydantic (target <= 1.3)':<40}{tab / baseline:>12.2f}")


if __name__ == "__main__":
    main()
