# Shared by the script tests (tests/browser/run.sh, tests/api/run.sh): a debug `cakap` on a fresh
# data folder and a free port, its database reachable with one SQL statement, and a clean exit.
# Source it from the repository root after `set -euo pipefail`, with DB_URL set ("" for SQLite);
# then call `server_start` once the database is filled. It sets BIN, DATA, PORT and BASE and
# exports the server's configuration (add more CAKAP_* before `server_start`). SERVER_LOG_COPY,
# when set, is where the server's log is kept at exit.

cargo build --quiet
BIN="$PWD/target/debug/cakap"
DATA=$(mktemp -d /tmp/cakap-script.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
# the file mail transport: tests read the mail from $CAKAP_DATA_DIR/mail
export CAKAP_DATA_DIR="$DATA" CAKAP_BIND="127.0.0.1:$PORT" CAKAP_BASE_URL="$BASE" \
  CAKAP_COURSES_DIR="$PWD/courses" CAKAP_LOG=warn CAKAP_MAIL_TRANSPORT=file
if [ -n "$DB_URL" ]; then export CAKAP_DATABASE_URL="$DB_URL"; fi

SERVER=""
server_cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  if [ -n "${SERVER_LOG_COPY:-}" ]; then cp "$DATA/serve.log" "$SERVER_LOG_COPY" 2>/dev/null || true; fi
  rm -rf "$DATA"
}
trap server_cleanup EXIT

# `cakap serve` in the background, waited for until /healthz answers
server_start() {
  "$BIN" serve >"$DATA/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 150); do
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  echo "cakap serve did not start"; cat "$DATA/serve.log"; exit 1
}

# one SQL statement on the database, its first value printed
sql() {
  if [ -n "$DB_URL" ]; then
    psql "$DB_URL" -Atc "$1"
  else
    python3 -c "
import sqlite3, sys
db = sqlite3.connect(sys.argv[1]); row = db.execute(sys.argv[2]).fetchone(); db.commit()
print(row[0] if row else '')" "$DATA/cakap.db" "$1"
  fi
}
