# Shell helpers shared by the scripts in tools/: find PostgreSQL's server binaries and run a
# private, throwaway cluster. Source it; it defines functions only.

# Prints the directory holding initdb/pg_ctl (Debian keeps them off PATH).
pg_bin_dir() {
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return 0
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] && [ -x "$dir/initdb" ] && { echo "$dir"; return 0; }
  return 1
}

# Runs a command as the owner of the cluster: PostgreSQL refuses to run as root.
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Prints a TCP port nobody listens on, drawn from below the kernel's ephemeral range (so that no
# outgoing connection takes it first).
free_port() {
  python3 -c '
import random, socket
for port in [random.randrange(10000, 32000) for _ in range(50)] + [0]:
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port)); print(s.getsockname()[1]); break
    except OSError:
        pass
    finally:
        s.close()
'
}

# start_throwaway_cluster DIR PORT: initdb (trust auth, superuser "ledger") and start on 127.0.0.1:PORT.
# It allows 1,000 connections: the suite runs some eighty suites at once, each test with its own
# database and pools of up to twenty, and at 300 the server refused connections ("too many
# clients") in every run — pools then back off for up to a minute, and tests stall on that.
start_throwaway_cluster() {
  local dir=$1 port=$2 bin
  bin=$(pg_bin_dir) || { echo "PostgreSQL server binaries not found: apt-get install -y postgresql" >&2; return 1; }
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
  as_pg_owner "$bin/initdb" -D "$dir/data" -U ledger --auth=trust --encoding=UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  as_pg_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=1000 -c shared_buffers=256MB" start >/dev/null \
    || { cat "$dir/server.log" >&2; return 1; }
}

# stop_throwaway_cluster DIR: fast shutdown, then remove everything under DIR.
stop_throwaway_cluster() {
  local dir=$1 bin
  bin=$(pg_bin_dir) || return 0
  [ -f "$dir/data/postmaster.pid" ] && as_pg_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
  rm -rf "$dir"
}
