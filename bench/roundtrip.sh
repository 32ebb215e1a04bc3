#!/usr/bin/env bash
# Benchmark (not a test): the full --roundtrip of a golang-migrate directory versus applying its
# ups once with psql (one process per file, `-1 -v ON_ERROR_STOP=1`) on a server with the same
# settings as migproof's throwaway one; then the schema cache: a cold full run, a warm one, and
# one new migration on a branch with `--base` (cold and warm cache). Usage:
# bench/roundtrip.sh [DIR] (run from the repo root after `cargo build --release --locked`).
set -euo pipefail
DIR=${1:-../shared/corpus/coder__coder/coderd/database/migrations}
DIR=$(cd "$DIR" && pwd)
MIGPROOF=$(pwd)/target/release/migproof
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
"${RUN[@]}" "$BIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null

# migproof, timed; the JSON report in $WORK/report.json. The schema cache lives in $CACHE.
CACHE=$(mktemp -d "$BASE/bench-cache-XXXXXX")
trap '"${RUN[@]}" "$BIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$WORK" "$CACHE"' EXIT
timed() {
  local what=$1; shift
  local start end
  start=$(date +%s.%N)
  XDG_CACHE_HOME=$CACHE/$CACHE_NAME "$MIGPROOF" check --roundtrip --format json "$@" >"$WORK/report.json" || true
  end=$(date +%s.%N)
  python3 - "$WORK/report.json" "$what" "$(echo "$end - $start" | bc)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["roundtrip"]
s = r["sets"][0]
count = {}
for m in s["migrations"]:
    count[m["status"]] = count.get(m["status"], 0) + 1
c = s.get("cache") or {}
print("%s: %s s (%s; cache: %d restored%s)" % (sys.argv[2], sys.argv[3], ", ".join("%d %s" % (n, k) for k, n in sorted(count.items())),
      c.get("restored", 0), "; stored " + ", ".join(c.get("saved", [])) if c.get("saved") else ""))
PY
}
# The template cluster is built once beforehand (as on any machine after the first run).
mkdir -p "$WORK/warmup"
echo "CREATE TABLE w (id int);" >"$WORK/warmup/000001_w.up.sql"
echo "DROP TABLE w;" >"$WORK/warmup/000001_w.down.sql"
XDG_CACHE_HOME=$CACHE/today "$MIGPROOF" check --roundtrip --no-cache "$WORK/warmup" >/dev/null 2>&1 || true
CACHE_NAME=full; cp -r "$CACHE/today" "$CACHE/full"; cp -r "$CACHE/today" "$CACHE/base"
CACHE_NAME=today; timed "migproof --roundtrip, no cache (--no-cache; up, down, up, 3 snapshots per migration)" "$DIR" --no-cache
CACHE_NAME=full; timed "migproof --roundtrip, cold cache (stores the result)" "$DIR"
CACHE_NAME=full; timed "migproof --roundtrip, warm cache, nothing changed" "$DIR"
python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['roundtrip']; print('throwaway server ready: %.0f ms' % r['server_ready_ms'])" "$WORK/report.json"

# A branch adding one migration on top of DIR, in a git repository of its own.
REPO=$WORK/repo
mkdir -p "$REPO/migrations"
cp "$DIR"/*.sql "$REPO/migrations/"
git -C "$REPO" init -q -b main
git -C "$REPO" -c user.name=bench -c user.email=bench@localhost add migrations
git -C "$REPO" -c user.name=bench -c user.email=bench@localhost commit -q -m base
git -C "$REPO" checkout -q -b feature
LAST=$(cd "$REPO/migrations" && ls *.up.sql | sort | tail -1 | cut -d_ -f1)
NEXT=$(printf "%06d" $((10#$LAST + 1)))
echo "CREATE TABLE bench_new (id bigint PRIMARY KEY, name text NOT NULL);" >"$REPO/migrations/${NEXT}_bench_new.up.sql"
echo "DROP TABLE bench_new;" >"$REPO/migrations/${NEXT}_bench_new.down.sql"
git -C "$REPO" -c user.name=bench -c user.email=bench@localhost add migrations
git -C "$REPO" -c user.name=bench -c user.email=bench@localhost commit -q -m feature
cd "$REPO"
CACHE_NAME=base; timed "one new migration, --base main, cold cache (prefix applied ups-only, stored)" migrations --base main
CACHE_NAME=base; timed "one new migration, --base main, warm cache" migrations --base main
