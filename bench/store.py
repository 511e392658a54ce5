"""Store throughput: one writer, eight writers, and a mutation with a 100,000-line audit log.

Targets (issue #3): >= 500 mutations/s for one writer on a 2-core machine; eight writers
keep >= 70% of that; a mutation's cost does not grow with the audit log (ratio ~1.0).
Run: ``python bench/store.py`` (about 10-30 s).
"""

from __future__ import annotations

import multiprocessing
import tempfile
import time
from pathlib import Path
from typing import Any

from greentic_iac.spec import EnvironmentState, local_environment
from greentic_iac.store import LocalFileStore

ONE_WRITER_MUTATIONS = 500
WRITERS = 8
PER_WRITER = 100
AUDIT_LINES = 100_000
AUDIT_SAMPLE = 200


def bump(state: EnvironmentState) -> tuple[EnvironmentState, dict[str, Any]]:
    state.config["counter"] = str(int(state.config.get("counter", "0")) + 1)
    return state, {"counter": state.config["counter"]}


def fresh_store(home: Path) -> LocalFileStore:
    store = LocalFileStore(home, environ={}, lock_timeout=60)
    store.create(EnvironmentState(environment=local_environment()), verb="env init")
    return store


def timed_mutations(store: LocalFileStore, count: int) -> float:
    start = time.perf_counter()
    for _ in range(count):
        store.mutate("local", bump, verb="bench")
    return time.perf_counter() - start


def writer(home: str, count: int) -> None:
    timed_mutations(LocalFileStore(Path(home), environ={}, lock_timeout=60), count)


def many_writers(home: Path) -> float:
    context = multiprocessing.get_context("fork")
    processes = [
        context.Process(target=writer, args=(str(home), PER_WRITER)) for _ in range(WRITERS)
    ]
    start = time.perf_counter()
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        if process.exitcode != 0:
            raise SystemExit(f"writer failed with exit code {process.exitcode}")
    return time.perf_counter() - start


def grow_audit_log(store: LocalFileStore, lines: int) -> None:
    sample = store.audit_path("local").read_bytes().splitlines()[-1] + b"\n"
    with store.audit_path("local").open("ab") as log:
        log.write(sample * lines)


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        one = fresh_store(root / "one")
        timed_mutations(one, 20)  # warm caches and imports
        elapsed = timed_mutations(one, ONE_WRITER_MUTATIONS)
        single_rate = ONE_WRITER_MUTATIONS / elapsed
        print(f"one writer:    {single_rate:8.0f} mutations/s ({ONE_WRITER_MUTATIONS} mutations)")

        fresh_store(root / "many")
        elapsed = many_writers(root / "many")
        total = WRITERS * PER_WRITER
        many_rate = total / elapsed
        print(
            f"{WRITERS} writers:     {many_rate:8.0f} mutations/s ({total} mutations, "
            f"{many_rate / single_rate:.0%} of one writer; target >= 70%)"
        )
        final = LocalFileStore(root / "many", environ={}).load("local").generation
        assert final == total, f"lost updates: generation {final} != {total}"

        empty = fresh_store(root / "empty")
        big = fresh_store(root / "big")
        grow_audit_log(big, AUDIT_LINES)
        timed_mutations(empty, 10)
        timed_mutations(big, 10)
        empty_time = timed_mutations(empty, AUDIT_SAMPLE) / AUDIT_SAMPLE
        big_time = timed_mutations(big, AUDIT_SAMPLE) / AUDIT_SAMPLE
        print(
            f"audit log:     {empty_time * 1000:6.2f} ms/mutation empty, "
            f"{big_time * 1000:6.2f} ms/mutation with {AUDIT_LINES:,} lines "
            f"(ratio {big_time / empty_time:.2f}; O(1) means ~1.0)"
        )
        verdict = "meets" if single_rate >= 500 else "MISSES"
        print(f"target: >= 500 mutations/s for one writer: {verdict}")


if __name__ == "__main__":
    main()
