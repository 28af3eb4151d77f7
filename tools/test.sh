#!/usr/bin/env bash
# The test command (`make test`): installs what is missing, starts a throwaway PostgreSQL on a
# free port under a temporary directory, runs `swift test` against it, and always tears it down.
# Extra arguments go to `swift test` (e.g. tools/test.sh --filter Immutability).
set -euo pipefail
cd "$(dirname "$0")/.."
. tools/postgres-lib.sh

tools/install-deps.sh

work=$(mktemp -d /tmp/ledger-test.XXXXXX)
chmod 755 "$work"
trap 'stop_throwaway_cluster "$work/pg"; rm -rf "$work"' EXIT INT TERM
port=$(free_port)
echo "Starting a throwaway PostgreSQL on 127.0.0.1:$port under $work"
start_throwaway_cluster "$work/pg" "$port"
export LEDGER_TEST_DATABASE_URL="postgres://ledger@127.0.0.1:$port/postgres"

swift build --build-tests
# A hung test must fail the run in minutes, not hold CI for its whole budget: the run is limited
# (LEDGER_TEST_TIMEOUT seconds), and its output is line-buffered so the log shows what was running.
limit=${LEDGER_TEST_TIMEOUT:-1200}
run_tests() {
  local status=0
  stdbuf -oL -eL timeout -k 15 "$limit" swift test --skip-build "$@" 2>&1 | tee "$work/test.log" || status=${PIPESTATUS[0]}
  if [ "$status" = 124 ] || [ "$status" = 137 ]; then
    echo "The tests did not finish within ${limit}s; these started but never ended:" >&2
    # Tests started minus tests ended (passed, failed or skipped; a parameterised test's end
    # line counts its cases), so a skipped test is not taken for a hung one.
    local plain='/Test (case passing|run) /d; s/ with [0-9]+ test cases?//'
    comm -23 <(sed -E "$plain" "$work/test.log" | sed -n -E 's/.*Test (.*) started\.$/\1/p' | sort -u) \
             <(sed -E "$plain" "$work/test.log" | sed -n -E 's/.*Test (.*) (passed after|failed after|skipped).*/\1/p' | sort -u) >&2
    echo "Sessions on the test server at that moment (database, state, what they wait for):" >&2
    psql "$LEDGER_TEST_DATABASE_URL" -Atc "SELECT datname, state, coalesce(wait_event, '-'), count(*) FROM pg_stat_activity
      WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1, 2, 3 ORDER BY 4 DESC LIMIT 20" >&2 || true
  fi
  return "$status"
}
# The crash tests restart clusters and run many `ledger` processes (workers with 3-second leases
# among them), the executor's suites run shells, sshd, git and web apps, and the API suites run a whole service each and hundreds of curl requests: they
# get the machine to themselves after the rest, so their load cannot make other tests miss
# their bounds, nor theirs be missed.
if [ $# -eq 0 ]; then
  executor='WorkerTests|WorkerFailureTests|WorkerCrashTests|LocalRunnerTests|SSHRunnerTests|ExecutorEndToEndTests|ServerCommandTests'
  api='DeploymentAPITests|PermissionMatrixTests|WebhookTests|EventStreamTests|RateLimitAPITests'
  run_tests --skip "CrashRecoveryTests|LiveStreamTests|$executor|$api"
  run_tests --filter "CrashRecoveryTests|LiveStreamTests|$executor"
  run_tests --filter "$api"
else
  run_tests "$@"
fi

# The HTTP API fuzzed against its OpenAPI document (schemathesis from PyPI).
if [ $# -eq 0 ]; then
  tools/fuzz-api.sh "$LEDGER_TEST_DATABASE_URL"
fi

# The dashboard in headless Chromium (Selenium from PyPI); a screenshot goes to test-artifacts/.
if [ $# -eq 0 ]; then
  tools/dashboard-test.sh "$LEDGER_TEST_DATABASE_URL"
fi

# A PostgreSQL restart cannot share a server with tests running in parallel, so the one test
# that restarts it runs on its own, told how to restart the server.
if [ $# -eq 0 ]; then
  restart="$(pg_bin_dir)/pg_ctl -D $work/pg/data -l $work/pg/server.log -m fast -w restart >/dev/null"
  [ "$(id -u)" = 0 ] && restart="runuser -u postgres -- $restart"
  export LEDGER_TEST_RESTART_COMMAND="$restart"
  run_tests --filter SubscriptionRestart
fi
