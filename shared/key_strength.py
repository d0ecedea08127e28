"""What a secret key must be in production: hex or base64 of at least MIN_KEY_BYTES bytes that
look random. A typed-in password, a short key or a placeholder such as 32 identical bytes is refused
at start-up, so that the FIN's hash and encryption never rest on a guessable key.

`key_weakness` takes a key's bytes, so it applies alike to one key or to each key of a keyring;
`refuse_weak_key` decodes a setting's text and raises the settings error.
"""

from __future__ import annotations

import binascii
import contextlib
from base64 import b64decode
from itertools import pairwise

MIN_KEY_BYTES = 32
# 32 random bytes have about 30 distinct values; fewer than 16 is a pattern, not chance (the odds
# of it are below 1e-15).
MIN_DISTINCT_BYTES = 16
HOW_TO_MAKE_ONE = "make one with `openssl rand -hex 32` or `openssl rand -base64 32`"


def decode_key(text: str) -> bytes | None:
    """The bytes of a hex key, or else of a base64 key (standard or URL-safe alphabet, padding
    optional); None if the text is neither."""
    compact = text.strip()
    with contextlib.suppress(ValueError):
        return bytes.fromhex(compact)
    padded = compact + "=" * (-len(compact) % 4)
    try:
        return b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def key_weakness(key: bytes) -> str | None:
    """Why `key` is too weak for production, or None when it is fine."""
    if len(key) < MIN_KEY_BYTES:
        return f"is {len(key)} bytes long; at least {MIN_KEY_BYTES} are needed"
    if _repeats(key):
        return "repeats a shorter block"
    if len(set(key)) < MIN_DISTINCT_BYTES:
        return f"has only {len(set(key))} distinct byte values"
    # A counting or arithmetic sequence (0, 1, 2, ... or "abcd...") has few distinct steps.
    steps = {(b - a) % 256 for a, b in pairwise(key)}
    if len(steps) < MIN_DISTINCT_BYTES:
        return "is a regular sequence"
    return None


def _repeats(key: bytes) -> bool:
    """Whether `key` is one block written out at least twice (its tail may be a partial block)."""
    return any(key[period:] == key[:-period] for period in range(1, len(key) // 2 + 1))


def refuse_weak_key(name: str, text: str) -> None:
    """Raises ValueError (a settings validation error) unless `text` is a strong key."""
    key = decode_key(text)
    if key is None:
        raise ValueError(f"{name} is neither hex nor base64; {HOW_TO_MAKE_ONE}")
    weakness = key_weakness(key)
    if weakness is not None:
        raise ValueError(f"{name} {weakness}; {HOW_TO_MAKE_ONE}")
