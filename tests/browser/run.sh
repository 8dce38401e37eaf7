#!/usr/bin/env bash
# Real-browser tests: start `cakap serve` (debug build) on a fresh database with the sample
# courses, create a learner, and drive Debian's Chromium with playwright-core through
# tests/browser/offline.mjs (the offline journey), then tests/browser/journey.mjs (a new person
# from registration to certificate at phone and desktop size, axe-core on every page) and
# tests/browser/encodings.mjs (compressed pages render exactly as uncompressed ones) on the same
# server. Screenshots go to target/browser/<label>/; with README_SHOTS=1 the README's phone
# pictures are refreshed in docs/screenshots/.
#
#   tests/browser/run.sh                       # SQLite in a temporary folder
#   tests/browser/run.sh postgres://…/dbname   # an (empty or Cakap) PostgreSQL database
#
# Needs /usr/bin/chromium (apt-get install chromium) and Node.js with npm.
set -euo pipefail
cd "$(dirname "$0")/../.."

DB_URL="${1:-}"
LABEL=$([ -n "$DB_URL" ] && echo postgres || echo sqlite)
OUT="$PWD/target/browser/$LABEL"
rm -rf "$OUT" && mkdir -p "$OUT"

if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/axe-core ]; then
  npm ci --prefix tests/browser --silent --no-audit --no-fund
fi
SERVER_LOG_COPY="$OUT/serve.log"
source tests/common/server.sh

"$BIN" migrate >/dev/null
EMAIL="wulan.sari@example.go.id"
PASSWORD="Belajar-Offline-2026"
echo "$PASSWORD" | "$BIN" users add --email "$EMAIL" --name "Wulan Sari" --password-stdin >/dev/null

server_start

# both run, also when the first fails, so one CI run shows every failure
STATUS=0
BASE="$BASE" EMAIL="$EMAIL" PASSWORD="$PASSWORD" OUT="$OUT" \
  node tests/browser/offline.mjs || STATUS=1
echo
BASE="$BASE" OUT="$OUT" node tests/browser/journey.mjs || STATUS=1
# README_SHOTS=1: the README's phone pictures (the lesson, the quiz's review step, the passing
# moment, the certificate) are taken from this run
if [ -n "${README_SHOTS:-}" ]; then
  mkdir -p docs/screenshots
  for f in "$OUT"/readme-*.png; do cp "$f" "docs/screenshots/phone-$(basename "$f" | sed 's/^readme-//')"; done
fi
echo
# a certificate the journey earned, for its public verification page
CODE=$(sql "SELECT code FROM certificates ORDER BY id LIMIT 1")
BASE="$BASE" EMAIL="$EMAIL" PASSWORD="$PASSWORD" CODE="$CODE" OUT="$OUT" \
  node tests/browser/encodings.mjs || STATUS=1
exit $STATUS
