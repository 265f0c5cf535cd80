#!/usr/bin/env bash
# Installs and starts what centralino's tests need on a Debian machine, as root. Idempotent:
# run it as often as you like (each session, each CI run); finished steps are skipped.
#
#   eval "$(scripts/test-deps.sh)"        # everything; exports the variables the tests read
#   scripts/test-deps.sh postgres         # only some dependencies
#
# Progress goes to stderr; stdout carries only `export NAME=value` lines, so that `eval` works.
#
# Dependencies (one function each; add new ones to ALL_DEPS):
#   sipp      SIPp (Debian package sip-tester): the caller and operator phones of the
#             end-to-end stories, with its RFC 2833 DTMF and G.711 pcaps.
#   protoc    The standard Protocol Buffers compiler (Debian protobuf-compiler): a test proves
#             that proto/*.proto compile with it too, for CRMs written in other languages.
#   postgres  PostgreSQL server from Debian, a private cluster in $CENTRALINO_PG_DIR listening
#             on 127.0.0.1:$CENTRALINO_PG_PORT only, with a role that may create databases
#             (each store test creates its own). Exports CENTRALINO_TEST_POSTGRES_URL.
#   chromium  Headless Chromium from Debian (package chromium) for the page stories
#             (tests/desk_pages.rs, tests/wallboard_page.rs, tests/admin_pages.rs). Exports CHROMIUM.
#   browser   playwright-core for tests/browser (`npm ci` from its package-lock.json when
#             node_modules is missing; no browser is downloaded). Needs node and npm.
set -euo pipefail

ALL_DEPS=(sipp postgres protoc chromium browser)
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

CENTRALINO_PG_DIR="${CENTRALINO_PG_DIR:-/var/tmp/centralino-pg}"
CENTRALINO_PG_PORT="${CENTRALINO_PG_PORT:-55432}"
CENTRALINO_PG_ROLE="${CENTRALINO_PG_ROLE:-centralino}"
CENTRALINO_PG_PASSWORD="${CENTRALINO_PG_PASSWORD:-centralino}"

say() { printf '[test-deps] %s\n' "$*" >&2; }
die() { printf '[test-deps] error: %s\n' "$*" >&2; exit 1; }

APT_UPDATED=0
apt_update_once() {
    if [[ $APT_UPDATED -eq 0 ]]; then
        say "apt-get update"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        APT_UPDATED=1
    fi
}

apt_install() {
    apt_update_once
    say "apt-get install $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

# ---------------------------------------------------------------------------------------------
# SIPp

dep_sipp() {
    if command -v sipp >/dev/null 2>&1 && [[ -f /usr/share/sip-tester/dtmf_2833_1.pcap ]]; then
        say "sipp: already installed ($(sipp -v 2>/dev/null | grep -o 'SIPp v[0-9.]*' | head -n 1))"
    else
        say "sipp: not installed, installing the Debian package sip-tester"
        apt_install sip-tester
        command -v sipp >/dev/null 2>&1 || die "sipp: installed, but no sipp on PATH"
    fi
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL

pg_bindir() {
    # The newest installed server version.
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$dir" && -x "$dir/initdb" ]] && printf '%s\n' "$dir"
}

as_postgres() { runuser -u postgres -- "$@"; }

install_postgresql() {
    if pg_bindir >/dev/null; then
        say "postgres: server already installed ($(pg_bindir))"
    else
        say "postgres: server not installed, installing the Debian package"
        apt_install postgresql
        pg_bindir >/dev/null || die "postgres: installed, but no initdb under /usr/lib/postgresql/*/bin"
    fi
}

start_postgresql() {
    local bin data socket log
    bin="$(pg_bindir)"
    data="$CENTRALINO_PG_DIR/data"
    socket="$CENTRALINO_PG_DIR/socket"
    log="$CENTRALINO_PG_DIR/server.log"

    mkdir -p "$CENTRALINO_PG_DIR"
    chown postgres:postgres "$CENTRALINO_PG_DIR"
    as_postgres mkdir -p "$socket"

    if [[ ! -s "$data/PG_VERSION" ]]; then
        say "postgres: creating a cluster in $data"
        # Local socket: trust (only root and postgres reach it); TCP: password (scram).
        as_postgres "$bin/initdb" -D "$data" -U postgres --auth-local=trust \
            --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >&2
    else
        say "postgres: cluster already exists in $data"
    fi

    if as_postgres "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
        say "postgres: server already running"
    else
        say "postgres: starting the server on 127.0.0.1:$CENTRALINO_PG_PORT (log: $log)"
        as_postgres "$bin/pg_ctl" -D "$data" -l "$log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $CENTRALINO_PG_PORT -k $socket" start >&2 \
            || die "postgres: the server did not start; see $log"
    fi

    say "postgres: ensuring role $CENTRALINO_PG_ROLE (login, createdb)"
    as_postgres "$bin/psql" -h "$socket" -p "$CENTRALINO_PG_PORT" -U postgres -d postgres \
        -v ON_ERROR_STOP=1 -q -v role="$CENTRALINO_PG_ROLE" -v password="$CENTRALINO_PG_PASSWORD" >&2 <<'SQL'
SELECT format('CREATE ROLE %I LOGIN CREATEDB', :'role')
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'password') \gexec
SQL

    local url="postgres://$CENTRALINO_PG_ROLE:$CENTRALINO_PG_PASSWORD@127.0.0.1:$CENTRALINO_PG_PORT/postgres"
    say "postgres: checking a password login over TCP"
    PGPASSWORD="$CENTRALINO_PG_PASSWORD" "$bin/psql" "$url" -tAc 'SELECT 1' >/dev/null \
        || die "postgres: cannot log in as $CENTRALINO_PG_ROLE over TCP"
    say "postgres: ready: CENTRALINO_TEST_POSTGRES_URL=$url"
    printf 'export CENTRALINO_TEST_POSTGRES_URL=%q\n' "$url"
}

# ---------------------------------------------------------------------------------------------
# protoc

dep_protoc() {
    if command -v protoc >/dev/null 2>&1; then
        say "protoc: already installed ($(protoc --version))"
    else
        say "protoc: not installed, installing the Debian package protobuf-compiler"
        apt_install protobuf-compiler
        command -v protoc >/dev/null 2>&1 || die "protoc: installed, but no protoc on PATH"
    fi
    printf 'export CENTRALINO_PROTOC=%q\n' "$(command -v protoc)"
}

dep_postgres() {
    install_postgresql
    start_postgresql
}

# ---------------------------------------------------------------------------------------------
# Chromium and playwright-core (the page stories)

dep_chromium() {
    if [[ -x /usr/bin/chromium ]]; then
        say "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null | head -n 1))"
    else
        say "chromium: not installed, installing the Debian package chromium"
        apt_install chromium
        [[ -x /usr/bin/chromium ]] || die "chromium: installed, but no /usr/bin/chromium"
    fi
    printf 'export CHROMIUM=%q\n' /usr/bin/chromium
}

dep_browser() {
    local dir="$REPO_DIR/tests/browser"
    command -v node >/dev/null 2>&1 || die "browser: node is not on PATH (Node.js 20 or later)"
    command -v npm >/dev/null 2>&1 || die "browser: npm is not on PATH"
    if [[ -d "$dir/node_modules/playwright-core" ]]; then
        say "browser: playwright-core already installed in tests/browser/node_modules"
    else
        say "browser: npm ci in tests/browser (playwright-core as pinned by package-lock.json)"
        (cd "$dir" && npm ci --no-audit --no-fund >&2) || die "browser: npm ci failed in $dir"
    fi
}

# ---------------------------------------------------------------------------------------------

main() {
    [[ $(id -u) -eq 0 ]] || die "run as root (it installs Debian packages and starts servers)"
    local deps=("$@")
    [[ ${#deps[@]} -gt 0 ]] || deps=("${ALL_DEPS[@]}")
    local dep
    for dep in "${deps[@]}"; do
        declare -F "dep_$dep" >/dev/null || die "unknown dependency '$dep' (known: ${ALL_DEPS[*]})"
        "dep_$dep"
    done
    say "done"
}

main "$@"
