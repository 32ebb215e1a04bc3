#!/usr/bin/env bash
# Benchmark (not a test): the full --roundtrip of a golang-migrate directory versus applying its
# ups once with psql (one process per file, `-1 -v ON_ERROR_STOP=1`) on a server with the same
# settings as migproof's throwaway one. Usage: bench/roundtrip.sh [DIR] (run from the repo root
# after `cargo build --release --locked`).
set -euo pipefail
DIR=${1:-../shared/corpus/coder__coder/coderd/database/migrations}
BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)}
BASE=$( [ -d /dev/shm ] && echo /dev/shm || echo /tmp )
WORK=$(mktemp -d "$BASE/bench-XXXXXX")
RUN=()
if [ "$(id -u)" = 0 ]; then chown postgres "$WORK"; RUN=(runuser -u postgres --); fi
trap '"${RUN[@]}" "$BIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
"${RUN[@]}" "$BIN/initdb" -D "$WORK/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
"${RUN[@]}" "$BIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w start -o "-k $WORK -c listen_addresses= \
  -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c autovacuum=off \
  -c dynamic_shared_memory_type=mmap" >/dev/null
psql -q -h "$WORK" -U postgres -c 'CREATE DATABASE bench' >/dev/null
start=$(date +%s.%N)
for f in $(cd "$DIR" && ls *.up.sql | sort); do
  psql -q -h "$WORK" -U postgres -d bench -1 -v ON_ERROR_STOP=1 -f "$DIR/$f" >/dev/null 2>&1
done
end=$(date +%s.%N)
echo "psql, ups only, one process per file: $(echo "$end - $start" | bc) s"
start=$(date +%s.%N)
./target/release/migproof check --roundtrip "$DIR" --format json >"$WORK/report.json" || true
end=$(date +%s.%N)
echo "migproof --roundtrip (up, down, up, 3 snapshots per migration): $(echo "$end - $start" | bc) s"
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['roundtrip']; print('throwaway server ready: %.0f ms' % r['server_ready_ms'])" "$WORK/report.json"
