#!/usr/bin/env bash
# The send benchmark: verdict against Postfix's smtp-sink on 127.0.0.1, beside
# smtp-source (Postfix's own load generator) as the limit of SMTP on this machine,
# in the same run, plain and through TLS (stunnel). Installs postfix (for the two
# tools only), stunnel4, openssl (its `speed` is the signing reference) and GNU time when
# missing, and makes sure no Postfix daemon is left listening.
#
#   bash scripts/bench.sh                 # N = 10,000, 100,000 and 1,000,000
#   bash scripts/bench.sh 200             # a quick smoke run
#   bash scripts/bench.sh relays [N]      # two relays of weights 3:1 against one
#   bash scripts/bench.sh dkim [N [BIG]]  # unsigned, RSA, Ed25519 and both signed,
#                                         # beside smtp-source and openssl speed
#                                         # (N = 10,000; BIG readers signed for memory)
#   bash scripts/bench.sh expiry [N]      # a closed send window, N = 500,000: memory and state/
#   bash scripts/bench.sh order [--check] # rewrites link/symbol-order.txt from what
#                                         # sends run under callgrind (or says how
#                                         # much of it this build has)
#
# Results are printed and written to target/bench/results.md (results-dkim.md).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v smtp-sink >/dev/null 2>&1 || ! command -v stunnel >/dev/null 2>&1 || [ ! -x /usr/bin/time ] || ! command -v openssl >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq >/dev/null
  apt-get install -y -qq postfix time stunnel4 openssl >/dev/null
fi
# Only smtp-sink and smtp-source are wanted: no mail daemon may keep running.
postfix stop >/dev/null 2>&1 || true
pkill -x master >/dev/null 2>&1 || true

if [ "${1:-}" = order ] && [ "${2:-}" != --check ] && ! command -v valgrind >/dev/null 2>&1; then
  apt-get update -qq >/dev/null && apt-get install -y -qq valgrind >/dev/null
fi

cargo build --release --quiet
if [ "${1:-}" = relays ]; then
  shift
  exec python3 scripts/bench_relays.py "$@"
fi
if [ "${1:-}" = order ]; then
  shift
  exec python3 scripts/symbol_order.py "$@"
fi
if [ "${1:-}" = expiry ]; then
  shift
  exec python3 scripts/bench_expiry.py "$@"
fi
exec python3 scripts/bench.py "$@"
