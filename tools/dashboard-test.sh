#!/usr/bin/env bash
# The dashboard in a real browser: Debian's headless Chromium driven through chromium-driver by
# Selenium (PyPI), against a running `ledger run` with a deployment in progress (the simulated
# executor plays it). Checks: no console errors, the first load's size, progress and log lines
# arriving without a reload, the same step list throughout, a cancel from the page, a
# phone-width layout, no serious or critical axe-core violation on any page, time travel's
# slider and date picker, the approval queue (approving with a comment), an environment's rules and
# freeze banner, nothing asked after signing out, and that another organisation's
# token sees none of it. Keeps a screenshot of the deployment page in
# test-artifacts/. Usage: tools/dashboard-test.sh postgres://user@host:port/db
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/postgres-lib.sh
server_url=$1
if ! python3 -c 'import selenium' 2>/dev/null; then
  echo "Installing selenium (PyPI)" >&2
  python3 -m pip install -q selenium >/dev/null 2>&1 || { echo "cannot install selenium from PyPI" >&2; exit 1; }
fi
# axe-core's engine, from the PyPI wheel that ships it (only its axe.min.js is used: nothing
# it would download, no Playwright).
axe_js() { python3 -c 'import importlib.util, os; s = importlib.util.find_spec("axe_playwright_python"); print(os.path.join(s.submodule_search_locations[0], "axe.min.js"))' 2>/dev/null; }
if [ ! -f "$(axe_js)" ]; then
  echo "Installing axe-core (PyPI: axe-playwright-python, without dependencies)" >&2
  python3 -m pip install -q --no-deps axe-playwright-python >/dev/null 2>&1 || { echo "cannot install axe-core from PyPI" >&2; exit 1; }
fi
axe=$(axe_js)
[ -f "$axe" ] || { echo "axe-core's axe.min.js not found" >&2; exit 1; }
database="dash_$(date +%s)_$$"
psql -q "$server_url" -c "CREATE DATABASE $database" >/dev/null
export DATABASE_URL="${server_url%/*}/$database"
port=$(free_port)
work=$(mktemp -d)
ledger=.build/debug/ledger
cleanup() {
  for pid in ${service:-} ${simulator:-}; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -q "$server_url" -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
$ledger orgs create acme --name Acme --cpu-quota 8 --ram-quota 16384 --disk-quota 200 >/dev/null
$ledger orgs create other --name Other >/dev/null
$ledger projects create shop --org acme >/dev/null
$ledger environments create shop-prod --project shop --host 10.0.0.5 --cpu 1 --ram 1024 --disk 10 >/dev/null
insider=$($ledger tokens create --name browser --role org_admin --org acme 2>/dev/null | head -n 1)
outsider=$($ledger tokens create --name stranger --role org_owner --org other 2>/dev/null | head -n 1)
$ledger run --listen "127.0.0.1:$port" --seal-every 5 --deploy-rate-limit off >"$work/service.log" 2>&1 &
service=$!
for _ in $(seq 1 150); do curl -sf -o /dev/null "http://127.0.0.1:$port/readyz" && break; sleep 0.2; done
deployment=$($ledger deploy --environment shop-prod --branch main --commit 5e1f0a9b3c7d | tail -n 1)
# A deployment with 10,000 log lines in one step, for the page's paging.
$ledger environments create shop-logs --project shop --host 10.0.0.6 --cpu 1 --ram 1024 --disk 10 >/dev/null
chatty=$($ledger deploy --environment shop-logs --branch main --commit 0c4a77e2d1f0 | tail -n 1)
for batch in $(seq 0 9); do
  lines=$(python3 -c "import json,sys; b=int(sys.argv[1]); print(json.dumps({'deploymentID': sys.argv[2], 'lines': [{'atMicroseconds': 1795000000000000 + b*1000 + i, 'level': 'info', 'step': 'initializing', 'message': f'line {b*1000+i}'} for i in range(1000)]}))" "$batch" "$chatty")
  $ledger append "deployment-$chatty" --type LogLinesAppended --data "$lines" >/dev/null
done
# Cancelled before any executor takes it, so that no live line joins the 10,000 while the page pages them.
$ledger cancel "$chatty" >/dev/null
# One slow deployment (about a minute and a half at speed 1) that never fails by chance.
$ledger simulate --speed 1 --failure-rate 0 --concurrency 1 >"$work/simulate.log" 2>&1 &
simulator=$!
# A protected environment with a deployment awaiting approval, requested by ana (not the browser's token).
$ledger environments create shop-live --project shop --host 10.0.0.7 --cpu 1 --ram 1024 --disk 10 >/dev/null
$ledger environments protect shop-live --approvals 1 >/dev/null
waiting=$($ledger deploy --environment shop-live --commit 7a7a7a7a7a7a --actor ana | tail -n 1)
mkdir -p test-artifacts
python3 tools/dashboard_test.py "http://127.0.0.1:$port" "$insider" "$outsider" "$deployment" test-artifacts "$chatty" "$axe" "$waiting"
