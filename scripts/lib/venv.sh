# Sourced by scripts/demo and scripts/test: make sure .venv exists and has i2 installed.
# Re-installs only when pyproject.toml changed, so repeated runs start fast.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="$ROOT/.venv"
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
want="$(cat "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)-${1:-dev}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "installing i2 and its dependencies into $VENV" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip >&2
  "$VENV/bin/python" -m pip install -q -e "$ROOT[${1:-dev}]" >&2
  echo "$want" > "$stamp"
fi
export PATH="$VENV/bin:$PATH"
