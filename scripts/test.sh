#!/usr/bin/env bash
# The test command. Installs what the tests need, then runs the whole suite:
# - from PyPI into target/test-venv: the aiosmtpd SMTP server, a DKIM verifier,
#   selenium (drives Chromium) and feedparser (reads the Atom feed);
# - from Debian, when missing: chromium and chromium-driver, Node.js with npm,
#   dnsmasq-base (the DNS server `verdict doctor` is tested against; the binary
#   only, no system service) and postfix (for its smtp-sink test server only: no
#   mail daemon is left running);
# - from npm into target/test-node: axe-core and html-validate (tests/browser/).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=target/test-venv
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s tests/requirements.txt "$stamp"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt
  cp tests/requirements.txt "$stamp"
fi
export VERDICT_TEST_PYTHON="$PWD/$venv/bin/python"

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ -x /usr/sbin/dnsmasq ] || command -v dnsmasq >/dev/null 2>&1 || missing+=(dnsmasq-base)
command -v smtp-sink >/dev/null 2>&1 || [ -x /usr/sbin/smtp-sink ] || missing+=(postfix)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} from Debian" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  # Postfix asks how to configure itself: not at all, so that no daemon starts.
  echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections 2>/dev/null || true
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# smtp-sink lives in /usr/sbin, which a user's PATH may lack.
export PATH="$PATH:/usr/sbin"

node_dir=target/test-node
if [ ! -d "$node_dir/node_modules" ] || ! cmp -s tests/browser/package-lock.json "$node_dir/package-lock.json"; then
  mkdir -p "$node_dir"
  cp tests/browser/package.json tests/browser/package-lock.json "$node_dir/"
  (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
export VERDICT_TEST_NODE_MODULES="$PWD/$node_dir/node_modules"

cargo test --locked "$@"
