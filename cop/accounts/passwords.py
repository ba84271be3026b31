"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 128
#: zxcvbn scores run 0 (guessable in seconds) to 4; below this a password is refused.
MIN_SCORE = 3

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
#: A hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")


@functools.cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; spends the same time when there is no hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, personal: tuple[str, ...] = ()) -> str | None:
    """Why a new password is refused, written for its owner; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Your password must be at least {MIN_LENGTH} characters long."
    if len(password) > MAX_LENGTH:
        return f"Your password must be {MAX_LENGTH} characters or fewer."
    if password.lower() in _common_passwords():
        return "That password is one of the most commonly used, so it is easy to guess. Choose another."
    lowered = password.lower()
    for word in personal:
        word = (word or "").lower()
        if len(word) >= 4 and word in lowered and len(lowered) - len(word) < MIN_LENGTH:
            return "Your password must not be built from your name or email address."
    result = zxcvbn(password[:64], user_inputs=[w for w in personal if w])
    if result["score"] < MIN_SCORE:
        warning = result["feedback"].get("warning") or "It follows a common pattern."
        return f"That password is too easy to guess. {warning.rstrip('.')}. Try a few unrelated words together."
    return None
