"""``make bench``: run every benchmark script in bench/ and print one table of figures.

Each script prints its own figures (ratios against a baseline measured in the same run);
this runner bounds each one in time and collects what they printed under one header.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

TIMEOUT_SECONDS = 300


def main() -> int:
    here = Path(__file__).resolve().parent
    scripts = sorted(p for p in here.glob("*.py") if p.name != Path(__file__).name)
    rows: list[tuple[str, str, float]] = []
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                [sys.executable, str(script)], check=False, timeout=TIMEOUT_SECONDS, cwd=here.parent
            )
            status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            status = f"timeout after {TIMEOUT_SECONDS}s"
        rows.append((script.name, status, time.perf_counter() - started))
    print("\n=== summary ===")
    print(f"{'script':<24}{'status':<24}{'seconds':>8}")
    for name, status, seconds in rows:
        print(f"{name:<24}{status:<24}{seconds:>8.1f}")
    return 0 if all(status == "ok" for _, status, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
