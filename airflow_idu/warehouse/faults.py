"""Fault injection and token rules for the local warehouse's HTTP front end (tests and demos)."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["Auth", "AuthFailure", "FaultKind", "FaultRule", "Faults"]


class FaultKind(StrEnum):
    STATUS = "status"  # answer with an HTTP status (503, 429, ...) and Retry-After, nothing executed
    DROP = "drop"  # close the connection without an answer


@dataclass(frozen=True, kw_only=True)
class FaultRule:
    kind: FaultKind
    status: int = 503
    retry_after: int = 1
    method: str | None = None  # Thrift method (e.g. "ExecuteStatement") or REST path prefix; None = any
    match: str | None = None  # a substring of the request body (e.g. a statement's table name)
    times: int = 1
    after: bool = False  # DROP only: run the request first, then drop the answer

    def __post_init__(self) -> None:
        if self.times < 1:
            raise ValueError(f"FaultRule.times must be >= 1, got {self.times}; drop the rule instead")
        if self.after and self.kind is not FaultKind.DROP:
            raise ValueError("FaultRule.after applies to kind=DROP only; remove it or use FaultKind.DROP")


class Faults:
    """Rules fire in order, each ``times`` times; ``fired`` records (kind, method) of every firing."""

    def __init__(self) -> None:
        self._rules: list[list[object]] = []  # [rule, remaining]
        self._lock = threading.Lock()
        self.fired: list[tuple[FaultKind, str]] = []

    def add(self, rule: FaultRule) -> None:
        with self._lock:
            self._rules.append([rule, rule.times])

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self.fired.clear()

    def take(self, method: str, body: bytes) -> FaultRule | None:
        with self._lock:
            for entry in self._rules:
                rule, remaining = entry
                assert isinstance(rule, FaultRule) and isinstance(remaining, int)
                if remaining <= 0:
                    continue
                if rule.method is not None and not method.startswith(rule.method):
                    continue
                if rule.match is not None and rule.match.encode() not in body:
                    continue
                entry[1] = remaining - 1
                self.fired.append((rule.kind, method))
                return rule
        return None


@dataclass(frozen=True, kw_only=True)
class AuthFailure:
    status: int
    reason: str  # sent as ``x-databricks-reason-phrase``; the connector puts it in its error message


@dataclass
class Auth:
    """Bearer tokens: the server's own token (``None`` = no check), tokens issued by the OAuth
    endpoint, and an optional expiry after N requests that start work (``expire_after`` for every
    token, ``issued_ttl_requests`` for issued ones).

    Only requests that start work (open a session, send a statement) count towards the expiry: that
    models a token expiring *between* statements, as a real token's lifetime does for the hook, which
    refreshes it before sending new work. Polls and fetches of a statement already sent do not count,
    so how many polls a statement needs (which depends on the machine's load) cannot change a test."""

    token: str | None = None
    expire_after: int | None = None
    issued_ttl_requests: int | None = None
    _uses: dict[str, int] = field(default_factory=dict)
    _issued: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        """A new token accepted from now on (the OAuth client-credentials endpoint hands these out)."""
        token = "idu-oauth-" + secrets.token_hex(12)
        with self._lock:
            self._issued.add(token)
        return token

    @property
    def issued(self) -> int:
        with self._lock:
            return len(self._issued)

    def check(self, authorization: str | None, *, starts_work: bool = True) -> AuthFailure | None:
        if self.token is None and not self._issued:
            return None
        scheme, _, presented = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return AuthFailure(status=401, reason="Unauthorized: no Bearer token in the Authorization header")
        with self._lock:
            known = presented == self.token or presented in self._issued
            if not known:
                return AuthFailure(status=403, reason="Invalid access token")
            uses = self._uses[presented] = self._uses.get(presented, 0) + int(starts_work)
            limit = self.issued_ttl_requests if presented in self._issued else self.expire_after
        if limit is not None and uses > limit:
            return AuthFailure(status=401, reason="Token expired: the access token is no longer valid")
        return None
