"""Scrub secrets from anything i2 persists or prints.

Two rules, applied recursively to dicts, lists and strings:

* a value stored under a key that *looks* secret (password, token, api_key, ...) becomes ``***``;
* any registered secret value (at least 4 characters) found inside any string becomes ``***``.

>>> r = Redactor(["hunter2-xyz"])
>>> r.redact({"password": "p", "msg": "login with hunter2-xyz failed"})
{'password': '***', 'msg': 'login with *** failed'}

The module-level :data:`default_redactor` is what the engine uses unless told otherwise; every
secret the endpoints file resolves is added to it as it is read
(:class:`lifecycle.model.endpoints.SecretStore` calls :func:`add_secret`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

MASK = "***"
MIN_SECRET_LEN = 4  # shorter values would mangle ordinary text
SECRET_KEY_RE = re.compile(
    r"pass(word|wd)?|secret|token|api[-_]?key|credential|authorization|private[-_]?key",
    re.IGNORECASE,
)


def is_secret_key(key: object) -> bool:
    """True when a mapping key names something secret (``db_password``, ``X-Auth-Token``...)."""
    return isinstance(key, str) and SECRET_KEY_RE.search(key) is not None


class Redactor:
    """Replace secrets in JSON-like data; thread-safe, values can be added at any time.

    >>> r = Redactor()
    >>> r.add("s3cr3t-token")
    >>> r.add("abc")  # too short to redact safely: ignored
    >>> r.redact(["Bearer s3cr3t-token", "abcdef"])
    ['Bearer ***', 'abcdef']
    """

    def __init__(self, secret_values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in secret_values:
            self.add(value)

    def add(self, value: str | None) -> None:
        """Register a secret value; values shorter than 4 characters are ignored."""
        if not isinstance(value, str) or len(value) < MIN_SECRET_LEN:
            return
        with self._lock:
            if value in self._values:
                return
            self._values.add(value)
            # Longest first so a secret containing another one is masked whole.
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))

    def __len__(self) -> int:
        return len(self._values)

    def redact_text(self, text: str) -> str:
        """Mask registered secret values inside one string."""
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None else text

    def redact(self, obj: Any) -> Any:
        """Return a redacted copy of ``obj`` (dicts, lists, tuples, sets, strings; others as is)."""
        return self._walk(obj, self._pattern)

    def _walk(self, obj: Any, pattern: re.Pattern[str] | None) -> Any:
        if isinstance(obj, str):
            return pattern.sub(MASK, obj) if pattern is not None else obj
        if isinstance(obj, Mapping):
            out: dict[Any, Any] = {}
            for key, value in obj.items():
                new_key = self._walk(key, pattern) if isinstance(key, str) else key
                if is_secret_key(key) and value is not None:
                    out[new_key] = MASK
                else:
                    out[new_key] = self._walk(value, pattern)
            return out
        if isinstance(obj, list | tuple | set | frozenset):
            return [self._walk(item, pattern) for item in obj]
        return obj


default_redactor = Redactor()


def add_secret(value: str | None) -> None:
    """Register a secret value with the process-wide :data:`default_redactor`."""
    default_redactor.add(value)


def redact(obj: Any) -> Any:
    """Redact ``obj`` with the process-wide :data:`default_redactor`."""
    return default_redactor.redact(obj)
