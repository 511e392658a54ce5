"""ENOSPC at every write phase of a keyed ``revisions stage``: exactly one revision, ever.

The failure is injected into the real system calls (``os.write``, ``os.fsync``,
``os.replace``, ``os.link``) at the n-th call of the verb, for every n the verb makes, so
each phase of the transaction (intent, backup, state write and rename, directory fsync,
idempotency record, done record) fails once. After the failure the store holds either the
old state, or the new state whose retry replays; a retry with the same key never stages a
second revision.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from .exactly_once_support import local_with_deployment, stage_payload

pytestmark = [pytest.mark.reliability, pytest.mark.integration]

_CALLS = ("write", "fsync", "replace", "link")


class DiskFull:
    """Counts the durable-write system calls and fails the n-th one with ENOSPC."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail_at: int | None = None
        self.failed = False

    def wrap(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls == self.fail_at:
                self.failed = True
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real(*args, **kwargs)

        return call


@contextmanager
def disk_full(monkeypatch: pytest.MonkeyPatch, fail_at: int | None) -> Iterator[DiskFull]:
    fault = DiskFull()
    fault.fail_at = fail_at
    with monkeypatch.context() as patch:
        for name in _CALLS:
            patch.setattr(os, name, fault.wrap(getattr(os, name)))
        yield fault


def _revisions(home: Any) -> list[dict[str, Any]]:
    return list(home.state()["revisions"].values())


def test_a_full_disk_at_any_write_phase_never_stages_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    template, deployment = local_with_deployment(tmp_path / "count")
    payload = stage_payload(deployment, idempotency_key="stage-once")
    with disk_full(monkeypatch, None) as counting:
        assert template.run("revisions", "stage", payload=payload).code == 0
    total = counting.calls
    assert total >= 8  # intent, backup, state (write, fsync, rename, dir), record, done

    outcomes = {"old": 0, "new": 0}
    for fail_at in range(1, total + 1):
        home, deployment = local_with_deployment(tmp_path / f"at-{fail_at}")
        payload = stage_payload(deployment, idempotency_key="stage-once")
        generation = home.state()["generation"]
        with disk_full(monkeypatch, fail_at) as fault:
            failed = home.run("revisions", "stage", payload=payload)
        assert fault.failed
        after = home.state()
        if failed.code == 0:
            # The failure hit housekeeping after the commit: the verb's answer stands.
            first = failed.result
        else:
            assert "Traceback" not in failed.stderr
            first = None
        assert after["generation"] in {generation, generation + 1}, fail_at
        assert len(after["revisions"]) == after["generation"] - generation, fail_at
        outcomes["old" if after["generation"] == generation else "new"] += 1

        retry = home.ok("revisions", "stage", payload=payload)
        again = home.ok("revisions", "stage", payload=payload)
        assert len(_revisions(home)) == 1, f"ENOSPC at call {fail_at} staged twice"
        assert retry == again
        if first is not None:
            assert retry == first
        assert home.state()["generation"] == generation + 1
    # Both sides were reached: failures before the rename and after it.
    assert outcomes["old"] and outcomes["new"], outcomes
