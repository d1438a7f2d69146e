# Sourced by scripts/test (and so by .ci/run): the Debian packages the suite needs beside Python.
# PostgreSQL server binaries (the engine tests start a private cluster on 127.0.0.1), dhcpd and
# dnsmasq (the DHCP entries i2 renders are checked by the real parsers), Chromium and the DejaVu
# fonts (the HTML reports are loaded and screenshotted in headless Chromium, tests/report/test_browser*.py;
# under CI a missing browser fails those tests). Installed with apt-get
# when run as root; otherwise one line naming what is missing, and exit 2.
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v dhcpd >/dev/null 2>&1 || [ -x /usr/sbin/dhcpd ] || missing+=(isc-dhcp-server)
command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || missing+=(dnsmasq-base)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test needs Debian packages it cannot install without root: sudo apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  echo "installing ${missing[*]} from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi
