#!/usr/bin/env bash
# Renders the demo issue and photographs it with headless Chromium at desktop
# width (the 600 px layout) and phone width (375 px), into docs/.
# Installs Debian's chromium when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi

issue=2026-11-26-axolotl-vs-mistral-medium-3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo run --quiet --release -- preview "$issue" --out "$work" --to ml-team@example.com --name "Équipe ML" >/dev/null

shoot() { # width height output
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile-$1" --hide-scrollbars --force-device-scale-factor=1 \
    --window-size="$1,$2" --screenshot="$3" "file://$work/$issue.html" >/dev/null 2>&1
  echo "$3"
}

# 680 px leaves room around the 600 px column; below 620 px the phone layout applies.
shoot 680 4500 docs/email-600px.png
shoot 375 7000 docs/email-375px.png
