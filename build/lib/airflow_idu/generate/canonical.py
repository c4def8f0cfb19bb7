"""Canonical ids: the per-key-type masks and a pure-Python reference implementation.

A canonical id is the URL-safe base64 (no padding) of 9 bytes: the first 8
bytes of SHA-256(leader_id) XOR the first 8 bytes of the leader's key-type
mask, followed by the mask's 9th byte. 9 bytes encode to exactly 12 base64
characters, so there is never padding to strip.

The masks for key types 1..3 are the ones published generators use, so ids
match directories produced elsewhere. Key types beyond 3 have no published
mask; ours are the first 9 bytes of SHA-256 of the ASCII text
``airflow-idu canonical id mask <ns>`` (e.g. ``... mask 4``), which is stable
and documented here rather than random.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["PUBLISHED_MASKS", "canonical_id", "key_type_mask"]

PUBLISHED_MASKS: dict[int, str] = {
    1: "0ffdbcf0c666ce190d",
    2: "61a821f2b646a4e890",
    3: "acd2206c3f88b3ee27",
}


def key_type_mask(ns: int) -> bytes:
    """The 9-byte mask for key type ``ns`` (1-based position in merge_by_keys)."""
    if ns < 1:
        raise ValueError(f"key type must be >= 1, got {ns}")
    if ns in PUBLISHED_MASKS:
        return bytes.fromhex(PUBLISHED_MASKS[ns])
    return hashlib.sha256(f"airflow-idu canonical id mask {ns}".encode("ascii")).digest()[:9]


def canonical_id(leader_id: str, ns: int) -> str:
    """The canonical id of a component led by ``leader_id`` of key type ``ns``."""
    mask = key_type_mask(ns)
    digest = hashlib.sha256(leader_id.encode("utf-8")).digest()[:8]
    raw = bytes(a ^ b for a, b in zip(digest, mask[:8], strict=True)) + mask[8:]
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
