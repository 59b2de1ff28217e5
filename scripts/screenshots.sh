#!/usr/bin/env bash
# Photographs the demo issue with headless Chromium (tests/browser.py, over
# WebDriver) into docs/: the email at desktop width (the 600 px layout) and on a
# phone (375 px), the issue's web page at desktop and phone width, light and
# dark, a tool page, the index on a phone in dark mode, and the issue's social
# card. Installs what it needs as scripts/test.sh does.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null
fi
venv=target/test-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r tests/requirements.txt
fi

issue=2026-11-26-axolotl-vs-mistral-medium-3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --quiet --release
cp -r verdict.toml templates tools issues subscribers "$work/"
target/release/verdict --project "$work" preview "$issue" --out "$work/preview" --to ml-team@example.com --name "Équipe ML" >/dev/null
target/release/verdict --project "$work" archive >/dev/null

shoot() { # url width height output [--dark]
  "$venv/bin/python" tests/browser.py "$1" --width "$2" --height "$3" --screenshot "$4" ${5:-} >/dev/null
  echo "$4"
}

# 680 px leaves room around the 600 px column; below 600 px the phone layout applies.
shoot "file://$work/preview/$issue.html" 680 4300 docs/email-600px.png
shoot "file://$work/preview/$issue.html" 375 6900 docs/email-375px.png
page="file://$work/public/issues/$issue.html"
shoot "$page" 1280 2900 docs/page-desktop-light.png
shoot "$page" 1280 2900 docs/page-desktop-dark.png --dark
shoot "$page" 375 6200 docs/page-phone-light.png
shoot "$page" 375 6200 docs/page-phone-dark.png --dark
shoot "file://$work/public/tools/axolotl.html" 1280 2200 docs/tool-page-desktop-light.png
shoot "file://$work/public/index.html" 375 2400 docs/index-phone-dark.png --dark
cp "$work/public/cards/$issue.png" docs/card.png
echo docs/card.png
