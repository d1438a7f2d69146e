"""SHA-512 crypt (``$6$``), the hash EOS stores for ``username X secret``.

Written from the published algorithm (Drepper, "Unix crypt using SHA-256 and SHA-512") because
the ``crypt`` module is deprecated and gone in Python 3.13.

>>> h = sha512_crypt("arista", salt="abcdefgh")
>>> h[:12], verify("arista", h), verify("wrong", h)
('$6$abcdefgh$', True, False)
"""

from __future__ import annotations

import hashlib
import hmac

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ORDER = [
    (0, 21, 42),
    (22, 43, 1),
    (44, 2, 23),
    (3, 24, 45),
    (25, 46, 4),
    (47, 5, 26),
    (6, 27, 48),
    (28, 49, 7),
    (50, 8, 29),
    (9, 30, 51),
    (31, 52, 10),
    (53, 11, 32),
    (12, 33, 54),
    (34, 55, 13),
    (56, 14, 35),
    (15, 36, 57),
    (37, 58, 16),
    (59, 17, 38),
    (18, 39, 60),
    (40, 61, 19),
    (62, 20, 41),
]


def _b64(b2: int, b1: int, b0: int, n: int) -> str:
    w = (b2 << 16) | (b1 << 8) | b0
    out = []
    for _ in range(n):
        out.append(_ITOA64[w & 0x3F])
        w >>= 6
    return "".join(out)


def _digest(password: bytes, salt: bytes, rounds: int) -> bytes:
    b = hashlib.sha512(password + salt + password).digest()
    a = hashlib.sha512(password + salt)
    n = len(password)
    a.update(b * (n // 64) + b[: n % 64])
    while n:
        a.update(b if n & 1 else password)
        n >>= 1
    c = a.digest()
    dp = hashlib.sha512(password * len(password)).digest()
    p = (dp * (len(password) // 64 + 1))[: len(password)]
    ds = hashlib.sha512(salt * (16 + c[0])).digest()
    s = (ds * (len(salt) // 64 + 1))[: len(salt)]
    for i in range(rounds):
        h = hashlib.sha512(p if i & 1 else c)
        if i % 3:
            h.update(s)
        if i % 7:
            h.update(p)
        h.update(c if i & 1 else p)
        c = h.digest()
    return c


def sha512_crypt(
    password: str, salt: str | None = None, *, rounds: int = 5000, salt_from: str | None = None
) -> str:
    """``$6$salt$hash``. ``salt_from`` derives a stable salt (configs diff cleanly in the twin)."""
    if salt is None:
        seed = f"{salt_from or ''}:{password}".encode()
        salt = "".join(_ITOA64[x % 64] for x in hashlib.sha256(seed).digest()[:16])
    salt = salt[:16]
    c = _digest(password.encode(), salt.encode(), rounds)
    enc = "".join(_b64(c[a], c[b], c[d], 4) for a, b, d in _ORDER) + _b64(0, 0, c[63], 2)
    head = "$6$" if rounds == 5000 else f"$6$rounds={rounds}$"
    return f"{head}{salt}${enc}"


def verify(password: str, hashed: str) -> bool:
    """True when ``password`` produces ``hashed`` (a ``$6$`` string)."""
    parts = hashed.split("$")
    if len(parts) < 4 or parts[1] != "6":
        return False
    rounds = 5000
    if parts[2].startswith("rounds="):
        rounds = int(parts[2][7:])
        salt = parts[3]
    else:
        salt = parts[2]
    return hmac.compare_digest(sha512_crypt(password, salt, rounds=rounds), hashed)
