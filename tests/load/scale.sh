#!/usr/bin/env bash
# Provincial scale (figures, not pass/fail): on a PostgreSQL database filled by `cakap dev seed`
# with agencies of a province's size, start `cakap serve` (release build) and measure what an ASN,
# a supervisor and an agency admin open there:
#
#   profile   GET /me/profile                             asn1 (the benchmark person)    wrk, p50/p99
#   team      GET /team                                   asn2 (heads unit 1 of agency 1) wrk, p50/p99
#   catalog   GET /courses                                asn1                            wrk, p50/p99
#   search    GET /admin/users?q=…                        asn2 (agency 1's admin)        wrk, p50/p99
#   report    GET /admin/agencies/1/report                asn2                            3 timed requests
#   history   GET /admin/agencies/1/report/history.csv    asn2                            3 timed downloads,
#                                                          size, and the server's RSS during them
#
#   SEED=1 USERS=1000000 AGENCIES=25 COMPLETIONS=2000000 tests/load/scale.sh postgres://…/emptydb
#       seeds first (and prints the rate), then measures
#   tests/load/scale.sh postgres://…/seeded-db      measures a database seeded before
#
# Environment: DURATION=10s CONNECTIONS=8 (wrk), PW (the seeded password).
set -euo pipefail
cd "$(dirname "$0")/../.."

DB_URL="${1:?usage: tests/load/scale.sh POSTGRES_URL}"
USERS=${USERS:-1000000}
AGENCIES=${AGENCIES:-25}
COMPLETIONS=${COMPLETIONS:-2000000}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-8}
PW=${PW:-Benchmark-Cakap-2026}
export CAKAP_DATABASE_URL="$DB_URL" CAKAP_LOG=warn

command -v wrk >/dev/null || { echo "install wrk first (apt-get install wrk)"; exit 1; }
cargo build --release --quiet
BIN="$PWD/target/release/cakap"
WORK=$(mktemp -d /tmp/cakap-scale.XXXXXX)
SERVER=""
cleanup() {
  [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT
export CAKAP_DATA_DIR="${DATA_DIR:-$PWD/target/scale-data}"
mkdir -p "$CAKAP_DATA_DIR"

if [ "${SEED:-0}" = 1 ]; then
  echo "seeding: $USERS people in $AGENCIES agencies, $COMPLETIONS completions…"
  t0=$(date +%s)
  CAKAP_COURSES_DIR="$PWD/courses" "$BIN" dev seed --users "$USERS" --agencies "$AGENCIES" \
    --courses 200 --completions "$COMPLETIONS" --heavy 200 --password "$PW" | tail -n 2
  t1=$(date +%s)
  python3 -c "
s = $t1 - $t0
print(f'seeded in {s / 60:.1f} min: {$COMPLETIONS / s:.0f} completions/s; 20,000,000 would take '
      f'{20_000_000 / ($COMPLETIONS / s) / 3600:.1f} h at that rate')"
fi
psql "$DB_URL" -Atc "SELECT 'database: ' || pg_size_pretty(pg_database_size(current_database())) || ', ' ||
  (SELECT COUNT(*) FROM users) || ' people, ' || (SELECT COUNT(*) FROM completions) || ' completions, ' ||
  (SELECT COUNT(*) FROM users WHERE agency_id = 1) || ' in agency 1'"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
BASE="http://127.0.0.1:$PORT"
export CAKAP_BIND="127.0.0.1:$PORT" CAKAP_BASE_URL="$BASE" CAKAP_COURSES_DIR="$CAKAP_DATA_DIR/seed-courses"
t0=$(date +%s%3N)
"$BIN" serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
until curl -fs "$BASE/healthz" >/dev/null 2>&1; do
  kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/serve.log"; exit 1; }
  sleep 0.1
done
echo "cakap serve started in $(($(date +%s%3N) - t0)) ms"

# cookie <email>: a logged-in session's Cookie header
cookie() {
  local jar="$WORK/jar-$1" csrf
  csrf=$(curl -fs -c "$jar" -b "$jar" "$BASE/login" | grep -o 'name="csrf" value="[^"]*"' | sed -n 1p | sed 's/.*value="//; s/"$//')
  curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "csrf=$csrf" --data-urlencode "next=" \
    --data-urlencode "email=$1" --data-urlencode "password=$PW" "$BASE/login"
  awk -F'\t' 'NF == 7 {c = c (c ? "; " : "") $6 "=" $7} END {print c}' "$jar"
}
LEARNER=$(cookie asn1@seed.cakap.test)
ADMIN=$(cookie asn2@seed.cakap.test)
AE="gzip, deflate, br, zstd"

# wrk → "req/s, p50, p99, non-2xx" (tests/load/wrk_figures.py reads wrk)
measure() {
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Accept-Encoding: $AE" "$@" 2>&1 |
    python3 "$PWD/tests/load/wrk_figures.py" |
    awk '{printf "%8d req/s  p50 %8.1f ms  p99 %8.1f ms  non-2xx %s", $1, $2, $3, $4}'
}


# timed <cookie> <path>: three requests, each "seconds bytes"; the server's peak RSS meanwhile
timed() {
  local c=$1 path=$2
  ( while kill -0 "$SERVER" 2>/dev/null; do awk '/VmRSS/ {print $2}' "/proc/$SERVER/status"; sleep 0.05; done ) >"$WORK/rss" &
  local sampler=$!
  for _ in 1 2 3; do
    curl -s -o /dev/null -w '%{http_code} %{time_total}s %{size_download}B  ' -H "Cookie: $c" "$BASE$path"
  done
  kill "$sampler" 2>/dev/null || true
  echo " RSS before $(($(head -n 1 "$WORK/rss") / 1024)) MB, peak $(($(sort -n "$WORK/rss" | tail -n 1) / 1024)) MB"
}

SEARCH_Q=$(psql "$DB_URL" -Atc "SELECT split_part(name, ' ', 1) FROM users WHERE agency_id = 1 ORDER BY id DESC LIMIT 1")
echo
echo "Cakap at provincial scale (wrk -c$CONNECTIONS -d$DURATION, Chromium's Accept-Encoding)"
echo "profile, 200 completions       $(measure -H "Cookie: $LEARNER" "$BASE/me/profile")"
echo "team of unit 1 (supervisor)    $(measure -H "Cookie: $ADMIN" "$BASE/team")"
echo "catalog                        $(measure -H "Cookie: $LEARNER" "$BASE/courses")"
echo "admin user search ($SEARCH_Q)  $(measure -H "Cookie: $ADMIN" "$BASE/admin/users?q=$SEARCH_Q")"
# the CSV first: its memory is seen before the report's working set is in the heap
echo "SIASN history CSV (agency 1)   $(timed "$ADMIN" "/admin/agencies/1/report/history.csv")"
echo "agency report (agency 1)       $(timed "$ADMIN" "/admin/agencies/1/report")"
