#!/usr/bin/env bash
# The API against its own document: Schemathesis (property-based, from PyPI, pinned below) reads
# /api/v1/openapi.json and sends generated requests to every operation — examples, coverage,
# fuzzing and the stateful phase (following the links it infers between operations) — with every
# check enabled (`-c all`), once with a learner's token and once with a platform admin's, against
# `cakap serve` (debug build) on a fresh database filled by `cakap dev seed` (agencies, courses,
# completions, certificates, open quiz attempts); the admin also writes courses. There is no baseline of accepted failures;
# tests/api/schemathesis.toml lists the few operations whose 422 no schema can state.
#
#   tests/api/run.sh                       # SQLite in a temporary folder
#   tests/api/run.sh postgres://…/dbname   # an empty PostgreSQL database
#
# ST_SEED fixes the random seed (CI uses a fixed one so a run can be replayed); ST_EXAMPLES the
# examples per operation (100).
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
DB_URL="${1:-}"

# pip puts the `st` command beside this Python's other scripts, which need not be on PATH
ST="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/st"
if [ "$("$ST" --version 2>/dev/null | awk '{print $3}')" != "$SCHEMATHESIS_VERSION" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION"
  python3 -m pip install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION" 2>&1 \
    | grep -v "as the 'root' user" || true
fi
"$ST" --version

# a test server only: Schemathesis sends thousands of certificate lookups from one address
export CAKAP_CERTIFICATES_LOOKUP_LIMIT=1000000
source tests/common/server.sh

PASSWORD="Schemathesis-Cakap-2026"
"$BIN" migrate >/dev/null
"$BIN" dev seed --users 60 --courses 4 --completions 120 --heavy 3 --open-attempts 20 \
  --password "$PASSWORD" >/dev/null
echo "$PASSWORD" | "$BIN" users add --email admin@api.cakap.test --name "Admin Platform" \
  --role admin --password-stdin >/dev/null

# the admin also writes courses, so the authoring operations are reached too
sql "UPDATE users SET is_author = TRUE WHERE email = 'admin@api.cakap.test'" >/dev/null
# a certificate the seed issued, for the operations that take a verification code
ST_CERTIFICATE=$(sql "SELECT code FROM certificates ORDER BY id LIMIT 1")
[ -n "$ST_CERTIFICATE" ] || { echo "the seed issued no certificate"; exit 1; }
export ST_CERTIFICATE

server_start

token() {
  curl -fsS -X POST "$BASE/api/v1/auth/token" -H 'Content-Type: application/json' \
    -d "{\"email\": \"$1\", \"password\": \"$PASSWORD\"}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}

STATUS=0
for who in asn2@seed.cakap.test admin@api.cakap.test; do
  echo
  echo "--- Schemathesis as $who"
  "$ST" --config-file tests/api/schemathesis.toml run "$BASE/api/v1/openapi.json" \
    --checks all \
    --phases examples,coverage,fuzzing,stateful \
    --header "Authorization: Bearer $(token "$who")" \
    --max-examples "${ST_EXAMPLES:-100}" \
    --seed "${ST_SEED:-20261207}" \
    --no-color || STATUS=1
done
if [ "$STATUS" != 0 ]; then
  echo "server log (last 40 lines):"; tail -n 40 "$DATA/serve.log"
fi
exit $STATUS
