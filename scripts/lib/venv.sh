# Sourced by scripts/demo and scripts/test: make sure .venv exists and has i2 installed, with the
# extras named by $1 (default dev: the twin, PostgreSQL, the test tools) at the exact versions of
# constraints.txt. Re-installs only when pyproject.toml, constraints.txt or the extras changed,
# so repeated runs start fast.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
EXTRAS="${1:-dev}"
PY="${I2_PYTHON:-}"
if [ -z "$PY" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1; then PY="$cand"; break; fi
  done
fi
[ -n "$PY" ] || { echo "i2 needs Python 3.11 (python3.11 or python3 on PATH)" >&2; exit 2; }
if [ ! -x "$VENV/bin/python" ]; then
  echo "creating virtualenv $VENV" >&2
  "$PY" -m venv "$VENV"
fi
stamp="$VENV/.i2-installed"
want="$(cat "$ROOT/pyproject.toml" "$ROOT/constraints.txt" | sha256sum | cut -d' ' -f1)-$EXTRAS"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing i2[$EXTRAS] and its pinned dependencies (constraints.txt) into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q -c "$ROOT/constraints.txt" -e "$ROOT[$EXTRAS]" >&2
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
