"""Run Ironic's single-process service (``ironic``) with PBKDF2 results memoised.

Executed as a script by the .venv-ironic interpreter; i2 never imports it (importing it is
harmless: everything happens under ``__main__``). Why: Ironic 39 derives the Redfish
session-cache key of every BMC operation with PBKDF2-HMAC-SHA512 (600,000 rounds, ~0.5 CPU-s
here), recomputing the same value for the same (password, address) again and again. A pure
function memoised returns identical bytes, so Ironic's behaviour (keys, session reuse,
re-authentication when a password changes) is unchanged; only the repeated CPU cost goes.
"""

import functools
import hashlib
import sys


def main() -> int:
    hashlib.pbkdf2_hmac = functools.lru_cache(maxsize=4096)(hashlib.pbkdf2_hmac)
    # Imported only after the patch, and only here: ironic lives in .venv-ironic alone.
    from ironic.command.singleprocess import main as ironic_main

    sys.argv[0] = "ironic"
    return ironic_main()


if __name__ == "__main__":
    sys.exit(main())
