"""API tokens: random, shown once, stored as sha256 hashes.

Example:
    >>> t = new_token()
    >>> t.startswith(TOKEN_PREFIX) and len(hash_token(t)) == 64
    True
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "ige_"


def new_token() -> str:
    """A new random token (256 bits)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token: sha256 is enough for 256-bit random secrets (no password stretching needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
