"""Session pins: a bounded map from (deployment, session key) to a revision (seed B1).

A client that sends a session key but keeps no cookie (a messaging channel, a server-side
caller) still stays on one revision. The map is bounded (16,384 entries by default) so a
client inventing session keys cannot grow memory: expired entries are swept first, then
the entry that expires soonest is evicted. Pure: the caller passes the clock value.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Final

MAX_PINS: Final = 16_384


@dataclass(frozen=True)
class Pin:
    revision_id: str
    generation: int
    expires_at: float


class SessionPins:
    def __init__(self, max_entries: int = MAX_PINS, ttl_seconds: float = 1800.0) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._pins: dict[tuple[str, str], Pin] = {}
        # (expires_at, key) per write; stale heap rows are skipped when popped.
        self._expiry: list[tuple[float, tuple[str, str]]] = []

    def __len__(self) -> int:
        return len(self._pins)

    def get(self, deployment_id: str, session_key: str, now: float) -> Pin | None:
        key = (deployment_id, session_key)
        pin = self._pins.get(key)
        if pin is None:
            return None
        if pin.expires_at <= now:
            del self._pins[key]
            return None
        return pin

    def put(
        self, deployment_id: str, session_key: str, revision_id: str, generation: int, now: float
    ) -> Pin:
        key = (deployment_id, session_key)
        if key not in self._pins and len(self._pins) >= self.max_entries:
            self.sweep(now)
            while len(self._pins) >= self.max_entries:
                self._evict_soonest()
        pin = Pin(revision_id, generation, now + self.ttl_seconds)
        self._pins[key] = pin
        heapq.heappush(self._expiry, (pin.expires_at, key))
        if len(self._expiry) > 4 * self.max_entries:
            self._compact()
        return pin

    def drop(self, deployment_id: str, session_key: str) -> None:
        self._pins.pop((deployment_id, session_key), None)

    def sweep(self, now: float) -> int:
        """Remove expired entries; returns how many were removed."""
        removed = 0
        while self._expiry and self._expiry[0][0] <= now:
            expires_at, key = heapq.heappop(self._expiry)
            pin = self._pins.get(key)
            if pin is not None and pin.expires_at == expires_at:
                del self._pins[key]
                removed += 1
        return removed

    def _evict_soonest(self) -> None:
        while self._expiry:
            expires_at, key = heapq.heappop(self._expiry)
            pin = self._pins.get(key)
            if pin is not None and pin.expires_at == expires_at:
                del self._pins[key]
                return
        # The heap lost track (cannot happen with put() as the only writer): drop any.
        self._pins.pop(next(iter(self._pins)))

    def _compact(self) -> None:
        self._expiry = [(pin.expires_at, key) for key, pin in self._pins.items()]
        heapq.heapify(self._expiry)
