"""Which revision a request lands on (seed B1): a pure function of its inputs.

Selection order for one deployment:

1. the override header ``x-greentic-revision``, only when trust is enabled and the named
   revision belongs to the deployment and is ``ready``;
2. the signed sticky cookie, when it is valid for this environment, tenant and deployment,
   not from a future generation, and its revision still carries weight;
3. the session pin for the request's session key, when its revision still carries weight;
4. weighted random over the basis points.

A cookie or pin whose revision lost all its weight is re-chosen (step 4). ``exclude``
removes revisions the router found dead so an unpinned request fails over. The clock
value and the random source are parameters, so unit tests are deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from random import Random

from greentic_iac.local.cookie import CookieClaims, CookieSigner
from greentic_iac.local.pins import SessionPins


@dataclass(frozen=True)
class RevisionRoute:
    revision_id: str
    weight_bps: int
    ready: bool


@dataclass(frozen=True)
class DeploymentSplit:
    environment_id: str
    tenant: str
    deployment_id: str
    generation: int
    revisions: tuple[RevisionRoute, ...]
    by_id: dict[str, RevisionRoute] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {r.revision_id: r for r in self.revisions})

    def weight_of(self, revision_id: str) -> int:
        route = self.by_id.get(revision_id)
        return route.weight_bps if route else 0


class Source(StrEnum):
    OVERRIDE = "override"
    COOKIE = "cookie"
    PIN = "pin"
    WEIGHTED = "weighted"


@dataclass(frozen=True)
class Selection:
    revision_id: str
    source: Source
    # A new cookie value to set on the response (None: keep the client's / set none).
    cookie: str | None = None

    @property
    def pinned(self) -> bool:
        """A pinned request gets a 502 when its backend is dead; unpinned ones fail over."""
        return self.source is not Source.WEIGHTED


@dataclass(frozen=True)
class RequestKeys:
    """What the router extracts from a request for selection."""

    override: str | None = None
    cookies: tuple[str, ...] = ()
    session_key: str | None = None
    # Who sent it (the peer address, or the client behind a trusted proxy): session pins
    # are bounded per client so one client's invented keys cannot evict another's.
    client: str = ""


def weighted_choice(
    revisions: Iterable[RevisionRoute], rng: Random, exclude: frozenset[str] = frozenset()
) -> str | None:
    """A revision drawn with probability proportional to its bps; None if none has weight."""
    candidates = [r for r in revisions if r.weight_bps > 0 and r.revision_id not in exclude]
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0].revision_id
    draw = rng.randrange(sum(r.weight_bps for r in candidates))
    for route in candidates:
        if draw < route.weight_bps:
            return route.revision_id
        draw -= route.weight_bps
    raise AssertionError("unreachable: draw exceeds total weight")


class Dispatcher:
    """Selection plus the mutable parts it owns (pins); one per router."""

    def __init__(
        self,
        signer: CookieSigner,
        *,
        rng: Random | None = None,
        seed: int | None = None,
        pins: SessionPins | None = None,
        trust_override: bool = False,
        cookie_ttl_seconds: int = 3600,
    ) -> None:
        """``rng`` serves every deployment; ``seed`` instead gives each deployment its own
        generator seeded from (seed, deployment id), so one deployment's draws do not
        depend on how other deployments' requests interleave (reproducible runs)."""
        self.signer = signer
        self.rng = rng if rng is not None else Random()  # noqa: S311 (traffic split, not crypto)
        self.seed = seed
        self._seeded: dict[str, Random] = {}
        self.pins = pins if pins is not None else SessionPins()
        self.trust_override = trust_override
        self.cookie_ttl_seconds = cookie_ttl_seconds

    def rng_for(self, deployment_id: str) -> Random:
        if self.seed is None:
            return self.rng
        rng = self._seeded.get(deployment_id)
        if rng is None:
            rng = self._seeded[deployment_id] = Random(f"{self.seed}/{deployment_id}")  # noqa: S311
        return rng

    def select(
        self,
        split: DeploymentSplit,
        keys: RequestKeys,
        now: float,
        exclude: frozenset[str] = frozenset(),
    ) -> Selection | None:
        """The revision for one request, or None when no live revision carries weight."""
        if self.trust_override and keys.override:
            route = split.by_id.get(keys.override)
            if route is not None and route.ready and route.revision_id not in exclude:
                return Selection(route.revision_id, Source.OVERRIDE)

        for value in keys.cookies:
            claims = self.signer.verify(value, now)
            if claims is None or not self._cookie_applies(claims, split, exclude):
                continue
            refresh = (
                claims.generation != split.generation
                or claims.expires_at - now < self.cookie_ttl_seconds / 2
            )
            cookie = self._cookie(split, claims.revision_id, now) if refresh else None
            return Selection(claims.revision_id, Source.COOKIE, cookie)

        if keys.session_key:
            pin = self.pins.get(split.deployment_id, keys.session_key, now)
            if (
                pin is not None
                and split.weight_of(pin.revision_id) > 0
                and pin.revision_id not in exclude
            ):
                cookie = self._cookie(split, pin.revision_id, now)
                return Selection(pin.revision_id, Source.PIN, cookie)

        chosen = weighted_choice(split.revisions, self.rng_for(split.deployment_id), exclude)
        if chosen is None:
            return None
        if keys.session_key:
            self.pins.put(
                split.deployment_id,
                keys.session_key,
                chosen,
                split.generation,
                now,
                source=keys.client,
            )
        return Selection(chosen, Source.WEIGHTED, self._cookie(split, chosen, now))

    @staticmethod
    def _cookie_applies(
        claims: CookieClaims, split: DeploymentSplit, exclude: frozenset[str]
    ) -> bool:
        return (
            claims.environment_id == split.environment_id
            and claims.tenant == split.tenant
            and claims.deployment_id == split.deployment_id
            # A cookie from a generation this router never issued (state rolled back to an
            # older document) is not trusted; older generations are, while weight remains.
            and claims.generation <= split.generation
            and split.weight_of(claims.revision_id) > 0
            and claims.revision_id not in exclude
        )

    def _cookie(self, split: DeploymentSplit, revision_id: str, now: float) -> str:
        return self.signer.issue(
            CookieClaims(
                environment_id=split.environment_id,
                tenant=split.tenant,
                deployment_id=split.deployment_id,
                revision_id=revision_id,
                generation=split.generation,
                expires_at=int(now) + self.cookie_ttl_seconds,
            )
        )
