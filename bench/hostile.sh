#!/usr/bin/env bash
# Benchmark (not a test): time on small hostile inputs that used to take superlinear time.
# Usage: bash bench/hostile.sh [BINARY] (default: target/release/migproof, built if missing).
# Each case runs under `timeout 120`; a case that times out prints "timeout".
#   - a sourcegraph metadata.yaml nested 100,000 levels deep (200 KB)
#   - a TypeScript registry (index.ts) with 20,000 entries, and with 300,000
#   - one golang-migrate file with 40,000 syntax errors (JSON and human output)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/release/migproof}
[ -x "$bin" ] || cargo build -q --release --bin migproof
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/yaml/1000_a" "$work/yaml/1001_b"
printf 'name: a\nparents: []\n' >"$work/yaml/1000_a/metadata.yaml"
python3 -c "print('name: b\nparents: ' + '['*100000 + ']'*100000)" >"$work/yaml/1001_b/metadata.yaml"
for d in 1000_a 1001_b; do echo 'select 1;' >"$work/yaml/$d/up.sql"; echo 'select 1;' >"$work/yaml/$d/down.sql"; done

registry() {
  mkdir -p "$work/ts$1"
  python3 - "$work/ts$1" "$1" <<'PY'
import sys
d, n = sys.argv[1], int(sys.argv[2])
open(f"{d}/initial.ts", "w").write("export async function up(db) { await db.exec(`create table a (id int);`); }\n")
lines = ["import { up as initialUp } from './initial';", "export const migrations = ["]
lines += [f"  {{ id: 'm{i}', version: {i}, description: 'x', up: initialUp }}," for i in range(1, n + 1)]
open(f"{d}/index.ts", "w").write("\n".join(lines + ["];"]) + "\n")
PY
}
registry 20000
registry 300000

mkdir -p "$work/syntax"
python3 -c "open('$work/syntax/001_a.up.sql','w').write('selec 1;\n'*40000)"
echo 'select 1;' >"$work/syntax/001_a.down.sql"

run() {
  local name=$1; shift
  local start end status=0
  start=$(date +%s.%N)
  timeout 120 "$bin" check "$@" >/dev/null 2>&1 || status=$?
  end=$(date +%s.%N)
  if [ "$status" = 124 ]; then echo "$name: timeout (120 s)"; else printf '%s: %.2f s\n' "$name" "$(echo "$end - $start" | bc)"; fi
}
run "metadata.yaml nested 100k levels" --format json "$work/yaml"
run "index.ts with 20k entries" --format json "$work/ts20000"
run "index.ts with 300k entries" --format json "$work/ts300000"
run "40k syntax errors, json" --format json "$work/syntax"
run "40k syntax errors, human" "$work/syntax"
