#!/usr/bin/env bash
# Fuzzes the HTTP API with schemathesis (PyPI) against its own OpenAPI document: a `ledger run
# --demo` on a fresh database of the given server, every operation called with a valid
# portal-admin token (rate limits off, so that generated requests reach the domain). Checks: no
# 5xx; status codes, content types and response bodies as the document declares; 405 for the
# methods a path does not take; and schema-valid requests accepted (positive_data_acceptance,
# with the allowances tools/schemathesis.toml explains: state-dependent refusals). Left out: the
# live event stream, which answers for as long as the client listens, which a fuzzer's request
# never ends. Usage: tools/fuzz-api.sh postgres://user@host:port/db  (bounded to minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
config="$PWD/tools/schemathesis.toml"
. tools/postgres-lib.sh
server_url=$1
if ! command -v schemathesis >/dev/null 2>&1; then
  echo "Installing schemathesis (PyPI)" >&2
  python3 -m pip install -q schemathesis >/dev/null 2>&1 || { echo "cannot install schemathesis from PyPI" >&2; exit 1; }
fi
database="fuzz_$(date +%s)_$$"
psql -q "$server_url" -c "CREATE DATABASE $database" >/dev/null
port=$(free_port)
# The demo's repository and deploy path in a directory of their own, its app on a free port:
# nothing shared with a `make run` in this checkout.
work=$(mktemp -d)
log="$work/service.log"
app_port=$(free_port); while [ "$app_port" = "$port" ]; do app_port=$(free_port); done
DATABASE_URL="${server_url%/*}/$database" .build/debug/ledger run --demo --demo-interval 5 --listen "127.0.0.1:$port" \
  --data-dir "$work/data" --demo-app-port "$app_port" --deploy-rate-limit off --webhook-rate-limit off >"$log" 2>&1 &
service=$!
cleanup() { kill -TERM "$service" 2>/dev/null || true; wait "$service" 2>/dev/null || true; psql -q "$server_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 1 100); do grep -q "HTTP API on" "$log" && break; sleep 0.2; done
token=$(grep -o 'ldg_[A-Za-z0-9]*' "$log" | head -n 1)
[ -n "$token" ] || { cat "$log" >&2; echo "the service printed no API token" >&2; exit 1; }
# schemathesis keeps a cache in the directory it runs in: not in the checkout.
cd "$(mktemp -d)"
timeout 600 schemathesis --config-file "$config" run "http://127.0.0.1:$port/openapi.json" -H "Authorization: Bearer $token" \
  --max-examples 30 --seed 1 --exclude-path /api/v1/events \
  --checks positive_data_acceptance,not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,unsupported_method
