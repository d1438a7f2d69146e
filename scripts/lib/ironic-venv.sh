# Make sure .venv-ironic exists with the pinned real Ironic, ironic-inspector and sushy-tools the
# twin runs.
# Sourced or run (scripts/test, `i2 lab up`). Kept apart from .venv: Ironic's oslo stack pins its
# own SQLAlchemy & co., and it only ever runs as separate processes.
# Re-installs only when the pin list (or the Python version) changed; quiet otherwise.
set -euo pipefail
_ir_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_ir_venv="${I2_IRONIC_VENV:-$_ir_root/.venv-ironic}"
_ir_reqs="$_ir_root/lifecycle/lab/ironic/requirements.txt"
_ir_py="${I2_PYTHON:-}"
if [ -z "$_ir_py" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1; then _ir_py="$cand"; break; fi
  done
fi
[ -n "$_ir_py" ] || { echo "ironic-venv: needs Python 3.11 (python3.11 or python3 on PATH)" >&2; exit 2; }
_ir_stamp="$_ir_venv/.i2-ironic-installed"
_ir_want="$(cat "$_ir_reqs" | sha256sum | cut -d' ' -f1)-$("$_ir_py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ ! -f "$_ir_stamp" ] || [ "$(cat "$_ir_stamp")" != "$_ir_want" ] || [ ! -x "$_ir_venv/bin/ironic" ]; then
  # A fresh venv each time the pins change: nothing stale from an older Ironic lingers.
  echo "ironic-venv: creating virtualenv $_ir_venv" >&2
  "$_ir_py" -m venv --clear "$_ir_venv"
  echo "ironic-venv: installing Ironic 39, ironic-inspector 12.5 and sushy-tools 2.2 into $_ir_venv (pins changed or first run)" >&2
  _ir_t0=$SECONDS
  "$_ir_venv/bin/python" -m pip install -qq --disable-pip-version-check -r "$_ir_reqs" >&2
  echo "$_ir_want" > "$_ir_stamp"
  echo "ironic-venv: installed in $((SECONDS - _ir_t0)) s" >&2
fi
unset _ir_root _ir_venv _ir_reqs _ir_py _ir_stamp _ir_want _ir_t0 cand
