#!/usr/bin/env bash
# Measures migproof against squawk and against the floor (a bare parse of the same files), on
# ../shared/corpus and on synthetic golang-migrate directories, and prints the ratios that the
# performance targets are stated in. Usage: bash bench/compare.sh [RUNS]
#
# Needs: hyperfine (Debian package), squawk (pip package squawk-cli), GNU time; it installs the
# first two when they are missing. Run it on a quiet machine: it times wall clock.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
corpus=../shared/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
command -v squawk >/dev/null || pip install -q squawk-cli
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

cargo build -q --release --locked --bin migproof --examples
mc=$PWD/target/release/migproof
bare=$PWD/target/release/examples/bare_parse
gen=$PWD/target/release/examples/gen_synthetic

# mean wall time in seconds of one command, from hyperfine's JSON export
mean() {
  local name=$1; shift
  hyperfine -N -i -w 2 -r "$runs" --export-json "$work/$name.json" "$@" >/dev/null 2>&1
  python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$work/$name.json"
}
# peak resident memory in MB of one run
peak() { /usr/bin/time -f %M "$@" >/dev/null 2>"$work/time" || true; echo "$(tail -1 "$work/time") / 1024" | bc; }
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
ms() { python3 -c "import sys; print(f'{float(sys.argv[1]) * 1000:.0f} ms')" "$1"; }

echo "machine: $(nproc) cores; migproof $($mc --version | cut -d' ' -f2); $(squawk --version)"
if [ -d "$corpus" ]; then
  find "$corpus" -name '*.sql' | sort >"$work/files"
  printf '#!/bin/sh\nexec squawk $(cat %s) >/dev/null 2>&1\n' "$work/files" >"$work/squawk.sh"
  chmod +x "$work/squawk.sh"
  t_mc=$(mean corpus "$mc check $corpus")
  # The same check with every lock rule switched off (they then neither run nor classify).
  locks=$("$mc" rules | awk '$1 ~ /^MC4[0-9][0-9]$/ {print $1}' | paste -sd, -)
  t_nolocks=$(mean nolocks "$mc check --ignore $locks $corpus")
  t_sq=$(mean squawk "$work/squawk.sh")
  t_bare=$(mean bare "$bare @$work/files")
  t_coder=$(mean coder "$mc check $corpus/coder__coder/coderd/database/migrations")
  echo
  echo "corpus: $(wc -l <"$work/files") .sql files"
  echo "  migproof check (every directory): $(ms "$t_mc")"
  echo "  migproof check, lock rules off:   $(ms "$t_nolocks")   with/without    = $(ratio "$t_mc" "$t_nolocks")  (target <= 1.2)"
  echo "  squawk on the same .sql files:    $(ms "$t_sq")   migproof/squawk = $(ratio "$t_mc" "$t_sq")  (target <= 0.5)"
  echo "  bare parse (libpg_query):         $(ms "$t_bare")   migproof/bare   = $(ratio "$t_mc" "$t_bare")  (target <= 1.5)"
  echo "  coder directory alone:            $(ms "$t_coder")  (target < 60 ms, process start included)"
else
  echo "($corpus absent: corpus comparisons skipped)"
fi

echo
echo "synthetic golang-migrate directories (realistic statements):"
for n in 1000 10000 50000; do
  "$gen" "$work/syn$n" "$n"
  t=$(mean "syn$n" "$mc check $work/syn$n")
  m=$(peak "$mc" check "$work/syn$n")
  echo "  $n pairs: $(ms "$t"), peak $m MB, $(python3 -c "import sys; print(f'{float(sys.argv[1]) / int(sys.argv[2]) * 1e6:.1f}')" "$t" "$n") us per pair  (10k target: < 1 s, < 200 MB)"
  if [ "$n" = 10000 ]; then
    # --base on the same directory, committed, with one new migration since the base.
    (cd "$work/syn$n" && git init -q && git add -A && git -c user.name=bench -c user.email=bench@localhost commit -qm base)
    last=$(ls "$work/syn$n" | grep '\.up\.sql$' | tail -1)
    cp "$work/syn$n/$last" "$work/syn$n/999999_new.up.sql"
    printf 'select 1;\n' >"$work/syn$n/999999_new.down.sql"
    t_plain=$(mean "plain$n" "$mc check $work/syn$n")
    t_base=$(mean "base$n" "$mc check --base HEAD $work/syn$n")
    echo "  $n pairs with --base HEAD and one new migration: $(ms "$t_base") vs $(ms "$t_plain") plain = $(ratio "$t_base" "$t_plain")x  (target < 2x)"
  fi
  rm -rf "$work/syn$n"
done
