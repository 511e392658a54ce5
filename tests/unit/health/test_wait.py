"""The bounded health wait, driven by a scripted source and an injected clock."""

from __future__ import annotations

from greentic_iac.health.model import RevisionHealth
from greentic_iac.health.wait import wait_until_healthy


class Scripted:
    """Answers in turn (the last one repeats) and counts the questions."""

    def __init__(self, *answers: RevisionHealth) -> None:
        self.answers = list(answers)
        self.asked = 0

    def revision_health(self, revision_id: str) -> RevisionHealth:
        self.asked += 1
        return self.answers[min(self.asked, len(self.answers)) - 1]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


SICK = RevisionHealth("r1", False, 0, 2, "0 of 2 tasks running")
HALF = RevisionHealth("r1", False, 1, 2, "1 of 2 tasks running")
WELL = RevisionHealth("r1", True, 2, 2)


def test_it_stops_at_the_first_healthy_answer() -> None:
    source, clock, lines = Scripted(SICK, SICK, HALF, WELL), Clock(), []
    waited = wait_until_healthy(
        source, "r1", timeout=60, poll_seconds=5, clock=clock, sleep=clock.sleep,
        progress=lines.append,
    )  # fmt: skip
    assert waited.healthy and waited.checks == 4 and source.asked == 4
    assert clock.sleeps == [5, 5, 5] and waited.waited_seconds == 15
    # Progress when the answer changes, not at every poll.
    assert lines == [
        "r1: not healthy, 0/2 ready (0 of 2 tasks running)",
        "r1: not healthy, 1/2 ready (1 of 2 tasks running)",
        "r1: healthy, 2/2 ready",
    ]


def test_it_gives_up_at_the_deadline_with_the_last_answer() -> None:
    source, clock = Scripted(SICK), Clock()
    waited = wait_until_healthy(
        source, "r1", timeout=12, poll_seconds=5, clock=clock, sleep=clock.sleep
    )
    assert not waited.healthy and waited.health == SICK
    assert clock.sleeps == [5, 5, 2]  # the last sleep ends at the deadline, not after it
    assert waited.waited_seconds == 12 and waited.checks == 4


def test_a_zero_timeout_is_one_check_and_no_sleep() -> None:
    source, clock = Scripted(HALF, WELL), Clock()
    waited = wait_until_healthy(source, "r1", timeout=0, clock=clock, sleep=clock.sleep)
    assert not waited.healthy and source.asked == 1 and clock.sleeps == []
