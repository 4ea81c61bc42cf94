"""Password hashes for basic-auth consumers and client secrets: PBKDF2-SHA256 (stdlib).

Format: `pbkdf2_sha256$<iterations>$<salt, base64>$<hash, base64>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

ITERATIONS = 240_000


def hash_password(password: str, iterations: int = ITERATIONS) -> str:
    salt = os.urandom(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def is_password_hash(value: str) -> bool:
    parts = value.split("$")
    return len(parts) == 4 and parts[0] == "pbkdf2_sha256" and parts[1].isdigit()


def verify_password(password: str, encoded: str) -> bool:
    if not is_password_hash(encoded):
        return False
    _, iterations, salt, expected = encoded.split("$")
    try:
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
        return hmac.compare_digest(digest, base64.b64decode(expected))
    except (ValueError, TypeError):
        return False


def equal_secrets(given: str, expected: str) -> bool:
    """Constant-time comparison that does not leak the length of `expected`."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest())
