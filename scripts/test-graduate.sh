#!/usr/bin/env bash
# ff-graduate's suite (tests/graduate): starts a throwaway Postgres cluster on localhost (a
# temporary folder, a free port, an unprivileged user, trust auth), runs the tests against it,
# then stops and removes it however the run ends. Installs Debian's postgresql if missing.
#   bash scripts/test-graduate.sh            the suite
#   bash scripts/test-graduate.sh --bench    also time 10,000 executions / 1,000,000 frames
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

sudo=""
if [ "$(id -u)" != 0 ]; then
  if sudo -n true 2>/dev/null; then sudo="sudo -n"; else sudo=missing; fi
fi
pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ ! -x "$(pg_bin)/initdb" ]; then
  if [ "$sudo" = missing ]; then
    echo "[graduate] need root (or password-less sudo) to apt-get install postgresql" >&2
    exit 1
  fi
  echo "[graduate] apt-get install postgresql"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
bin=$(pg_bin)
# The sandboxes are built through the JS package, which needs the wasm build.
[ -f dist/wasm/ff_backend_wasm_bg.wasm ] || bash scripts/build.sh

dir=$(mktemp -d /tmp/ff-graduate-pg.XXXXXX)
as_owner=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: the cluster belongs to the postgres user Debian's package
  # creates (or to one made for this, on machines that have the binaries without it).
  owner=postgres
  if ! id -u "$owner" >/dev/null 2>&1; then
    owner=ff-graduate-pg
    id -u "$owner" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$owner"
  fi
  chown "$owner" "$dir"
  as_owner=(runuser -u "$owner" --)
fi
cleanup() {
  "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale -N >/dev/null
# Durability settings off: the cluster lives for this run only. The migrations lock 256
# partitions per table, hence the larger lock table.
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
      -c full_page_writes=off -c max_locks_per_transaction=512" start >/dev/null
export FF_GRADUATE_PG="postgres://postgres@127.0.0.1:$port/postgres"
echo "[graduate] Postgres $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"

status=0
nice -n 10 cargo test --features flowfabric --test graduate -- --ignored --test-threads 2 || status=$?
if [ "${1:-}" = "--bench" ] && [ "$status" = 0 ]; then
  bash tests/graduate/bench.sh || status=$?
fi
[ "$status" = 0 ] || tail -n 30 "$dir/server.log" >&2
exit "$status"
