# Make sure the real TripleO Train templates and the Heat venv that validates them are here:
#   .cache/tht/tripleo-heat-templates-11.6.0/  the THT 11.6.0 sdist from PyPI, unpacked (sha256-checked)
#   .venv-heat/                                openstack-heat, python-heatclient, python-tripleoclient
#                                              pinned in lifecycle/tripleo/heat-requirements.txt
# Sourced or run (scripts/test, `i2 overcloud validate` tells you to run it). Idempotent and quiet
# when both are present: the tree is skipped when unpacked, the venv re-installed only when the pin
# list (or the Python version) changed.
# THT has no wheel with templates (18.0.0's wheel ships none) and 11.6.0 only builds its metadata
# with an old setuptools/pbr, so `pip download` runs in a throwaway venv with those pins.
set -euo pipefail
_tht_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
_tht_version=11.6.0
_tht_sha256=c70061e2388fe28ed591a07651452b674f88eeb797acaf7f50b8dc41b2916ba2
_tht_cache="${I2_THT_CACHE:-$_tht_root/.cache/tht}"
_tht_dir="$_tht_cache/tripleo-heat-templates-$_tht_version"
_heat_venv="${I2_HEAT_VENV:-$_tht_root/.venv-heat}"
_heat_reqs="$_tht_root/lifecycle/tripleo/heat-requirements.txt"
_tht_py="${I2_PYTHON:-}"
if [ -z "$_tht_py" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1; then _tht_py="$cand"; break; fi
  done
fi
[ -n "$_tht_py" ] || { echo "tht: needs Python 3.11 (python3.11 or python3 on PATH)" >&2; exit 2; }

if [ ! -f "$_tht_dir/overcloud.j2.yaml" ]; then
  _tht_t0=$SECONDS
  _tht_tmp="$(mktemp -d)"
  echo "tht: downloading tripleo-heat-templates $_tht_version (sdist) into $_tht_cache" >&2
  "$_tht_py" -m venv "$_tht_tmp/venv"
  "$_tht_tmp/venv/bin/python" -m pip install -qq --disable-pip-version-check \
    'setuptools==59.8.0' 'pbr==5.11.1' 'wheel==0.48.0' >&2
  "$_tht_tmp/venv/bin/python" -m pip download -qq --disable-pip-version-check --no-deps \
    --no-binary :all: --no-build-isolation -d "$_tht_tmp/dl" "tripleo-heat-templates==$_tht_version" >&2
  _tht_tgz="$_tht_tmp/dl/tripleo-heat-templates-$_tht_version.tar.gz"
  if [ "$(sha256sum "$_tht_tgz" | cut -d' ' -f1)" != "$_tht_sha256" ]; then
    echo "tht: $(basename "$_tht_tgz") does not have the expected sha256 $_tht_sha256" >&2
    rm -rf "$_tht_tmp"; exit 1
  fi
  mkdir -p "$_tht_cache"
  # Unpack beside the target and rename: a killed unpack never leaves a half tree that looks done.
  tar -xzf "$_tht_tgz" -C "$_tht_tmp"
  rm -rf "$_tht_dir"
  mv "$_tht_tmp/tripleo-heat-templates-$_tht_version" "$_tht_dir"
  rm -rf "$_tht_tmp"
  echo "tht: unpacked $_tht_dir in $((SECONDS - _tht_t0)) s" >&2
fi

_heat_stamp="$_heat_venv/.i2-heat-installed"
_heat_want="$(sha256sum < "$_heat_reqs" | cut -d' ' -f1)-$("$_tht_py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [ ! -f "$_heat_stamp" ] || [ "$(cat "$_heat_stamp")" != "$_heat_want" ] || [ ! -x "$_heat_venv/bin/python" ]; then
  echo "tht: creating virtualenv $_heat_venv" >&2
  "$_tht_py" -m venv --clear "$_heat_venv"
  echo "tht: installing openstack-heat 27 and python-tripleoclient 20 into $_heat_venv (pins changed or first run)" >&2
  _tht_t0=$SECONDS
  "$_heat_venv/bin/python" -m pip install -qq --disable-pip-version-check -r "$_heat_reqs" >&2
  echo "$_heat_want" > "$_heat_stamp"
  echo "tht: installed in $((SECONDS - _tht_t0)) s" >&2
fi
unset _tht_root _tht_version _tht_sha256 _tht_cache _tht_dir _heat_venv _heat_reqs _tht_py _tht_tmp \
  _tht_tgz _tht_t0 _heat_stamp _heat_want cand
