"""Session pins: a bounded map from (deployment, session key) to a revision (seed B1).

A client that sends a session key but keeps no cookie (a messaging channel, a server-side
caller) still stays on one revision. Session keys are chosen by clients, so the map must
hold under a flood of invented keys without moving anyone else's session:

- each client source (the peer address, or the client behind a trusted proxy) holds at
  most ``max_per_source`` pins; a source at its bound evicts its *own* oldest pin, first
  one it never reused;
- the map holds at most ``max_entries`` pins in total; when full, expired pins go first,
  then the oldest pin that was never reused (a flood's keys are never reused), and only
  when every pin was reused, the one that expires soonest.

Pure: the caller passes the clock value.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Final

MAX_PINS: Final = 16_384
MAX_PINS_PER_SOURCE: Final = 1_024

_Key = tuple[str, str]


@dataclass
class Pin:
    revision_id: str
    generation: int
    expires_at: float
    source: str = ""
    reused: bool = False


@dataclass
class _SourcePins:
    """One source's pins in insertion order, never-reused ones apart."""

    fresh: OrderedDict[_Key, None] = field(default_factory=OrderedDict)
    reused: OrderedDict[_Key, None] = field(default_factory=OrderedDict)

    def __len__(self) -> int:
        return len(self.fresh) + len(self.reused)

    def oldest(self) -> _Key:
        return next(iter(self.fresh or self.reused))


class SessionPins:
    def __init__(
        self,
        max_entries: int = MAX_PINS,
        ttl_seconds: float = 1800.0,
        max_per_source: int = MAX_PINS_PER_SOURCE,
    ) -> None:
        if max_entries < 1 or max_per_source < 1:
            raise ValueError("max_entries and max_per_source must be at least 1")
        self.max_entries = max_entries
        self.max_per_source = max_per_source
        self.ttl_seconds = ttl_seconds
        self._pins: dict[_Key, Pin] = {}
        self._fresh: OrderedDict[_Key, None] = OrderedDict()
        self._sources: dict[str, _SourcePins] = {}
        # (expires_at, key) per write; stale heap rows are skipped when popped.
        self._expiry: list[tuple[float, _Key]] = []

    def __len__(self) -> int:
        return len(self._pins)

    def count_for(self, source: str) -> int:
        pins = self._sources.get(source)
        return len(pins) if pins is not None else 0

    def get(self, deployment_id: str, session_key: str, now: float) -> Pin | None:
        key = (deployment_id, session_key)
        pin = self._pins.get(key)
        if pin is None:
            return None
        if pin.expires_at <= now:
            self._remove(key)
            return None
        if not pin.reused:
            pin.reused = True
            self._fresh.pop(key, None)
            source = self._sources[pin.source]
            source.fresh.pop(key, None)
            source.reused[key] = None
        return pin

    def put(
        self,
        deployment_id: str,
        session_key: str,
        revision_id: str,
        generation: int,
        now: float,
        *,
        source: str = "",
    ) -> Pin:
        key = (deployment_id, session_key)
        # A session that came back before (its pin is re-chosen after a split change)
        # stays a reused one: it is a real session, not a flood's.
        previous = self._pins.get(key)
        reused = previous is not None and previous.reused and previous.source == source
        self._remove(key)
        own = self._sources.get(source)
        while own is not None and len(own) >= self.max_per_source:
            self._remove(own.oldest())
            own = self._sources.get(source)
        if len(self._pins) >= self.max_entries:
            self.sweep(now)
            while len(self._pins) >= self.max_entries:
                self._evict_one()
        pin = Pin(revision_id, generation, now + self.ttl_seconds, source, reused)
        self._pins[key] = pin
        own = self._sources.setdefault(source, _SourcePins())
        if reused:
            own.reused[key] = None
        else:
            self._fresh[key] = None
            own.fresh[key] = None
        heapq.heappush(self._expiry, (pin.expires_at, key))
        if len(self._expiry) > 4 * self.max_entries:
            self._compact()
        return pin

    def drop(self, deployment_id: str, session_key: str) -> None:
        self._remove((deployment_id, session_key))

    def sweep(self, now: float) -> int:
        """Remove expired entries; returns how many were removed."""
        removed = 0
        while self._expiry and self._expiry[0][0] <= now:
            expires_at, key = heapq.heappop(self._expiry)
            pin = self._pins.get(key)
            if pin is not None and pin.expires_at == expires_at:
                self._remove(key)
                removed += 1
        return removed

    def _remove(self, key: _Key) -> None:
        pin = self._pins.pop(key, None)
        if pin is None:
            return
        self._fresh.pop(key, None)
        source = self._sources[pin.source]
        source.fresh.pop(key, None)
        source.reused.pop(key, None)
        if not source:
            del self._sources[pin.source]

    def _evict_one(self) -> None:
        if self._fresh:
            self._remove(next(iter(self._fresh)))
            return
        while self._expiry:
            expires_at, key = heapq.heappop(self._expiry)
            pin = self._pins.get(key)
            if pin is not None and pin.expires_at == expires_at:
                self._remove(key)
                return
        # The heap lost track (cannot happen with put() as the only writer): drop any.
        self._remove(next(iter(self._pins)))

    def _compact(self) -> None:
        self._expiry = [(pin.expires_at, key) for key, pin in self._pins.items()]
        heapq.heapify(self._expiry)
