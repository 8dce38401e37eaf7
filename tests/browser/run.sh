#!/usr/bin/env bash
# Real-browser tests: start `cakap serve` (debug build) on a fresh database with the sample
# courses, create a learner, and drive Debian's Chromium with playwright-core through
# tests/browser/offline.mjs (the offline journey), then tests/browser/journey.mjs (a new person
# from registration to certificate at phone and desktop size, axe-core on every page) and
# tests/browser/encodings.mjs (compressed pages render exactly as uncompressed ones) on the same
# server. Screenshots go to target/browser/<label>/.
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
cargo build --quiet
BIN="$PWD/target/debug/cakap"

DATA=$(mktemp -d /tmp/cakap-browser.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
# the file mail transport: journey.mjs reads the verification mail from $CAKAP_DATA_DIR/mail
export CAKAP_DATA_DIR="$DATA" CAKAP_BIND="127.0.0.1:$PORT" CAKAP_BASE_URL="http://127.0.0.1:$PORT" \
  CAKAP_COURSES_DIR="$PWD/courses" CAKAP_LOG=warn CAKAP_MAIL_TRANSPORT=file
if [ -n "$DB_URL" ]; then export CAKAP_DATABASE_URL="$DB_URL"; fi

SERVER=""
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  cp "$DATA/serve.log" "$OUT/serve.log" 2>/dev/null || true
  rm -rf "$DATA"
}
trap cleanup EXIT

"$BIN" migrate >/dev/null
EMAIL="wulan.sari@example.go.id"
PASSWORD="Belajar-Offline-2026"
echo "$PASSWORD" | "$BIN" users add --email "$EMAIL" --name "Wulan Sari" --password-stdin >/dev/null

"$BIN" serve >"$DATA/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || { echo "cakap serve did not start"; cat "$DATA/serve.log"; exit 1; }

# both run, also when the first fails, so one CI run shows every failure
STATUS=0
BASE="http://127.0.0.1:$PORT" EMAIL="$EMAIL" PASSWORD="$PASSWORD" OUT="$OUT" \
  node tests/browser/offline.mjs || STATUS=1
echo
BASE="http://127.0.0.1:$PORT" OUT="$OUT" node tests/browser/journey.mjs || STATUS=1
echo
# a certificate the journey earned, for its public verification page
if [ -n "$DB_URL" ]; then
  CODE=$(psql "$DB_URL" -Atc "SELECT code FROM certificates ORDER BY id LIMIT 1")
else
  CODE=$(python3 -c "
import sqlite3, sys
row = sqlite3.connect(sys.argv[1]).execute('SELECT code FROM certificates ORDER BY id LIMIT 1').fetchone()
print(row[0] if row else '')" "$DATA/cakap.db")
fi
BASE="http://127.0.0.1:$PORT" EMAIL="$EMAIL" PASSWORD="$PASSWORD" CODE="$CODE" OUT="$OUT" \
  node tests/browser/encodings.mjs || STATUS=1
exit $STATUS
