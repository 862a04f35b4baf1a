#!/usr/bin/env bash
# Postgres for the content store beside D1 (issue 18): a private loopback cluster for tests and
# development, and the migrations of migrations/postgres/ for any Postgres (Neon, one's own).
#
#   scripts/postgres.sh install          PostgreSQL 15+ from Debian's packages where missing
#   scripts/postgres.sh start DIR PORT   a cluster in DIR (made on first use), in the background;
#                                        prints postgres://USER:PASS@127.0.0.1:PORT/postgres
#   scripts/postgres.sh run DIR PORT     the same in the foreground, for a supervisor (tests)
#   scripts/postgres.sh stop DIR         stops the cluster of DIR
#   scripts/postgres.sh migrate URL      applies migrations/postgres/*.sql not yet applied
#
# A cluster listens on 127.0.0.1 only (no Unix socket), with scram-sha-256 passwords and fsync
# off: it is for tests, its data may be lost. DIR holds data/ (the cluster), password and url
# (the last start's connection string; both readable by their owner only) and postgres.log. The
# locale is C.UTF-8 where the system has it: text sorts by code point, SQLite's byte order, and
# letters beyond ASCII are letters to the full-text search of migration 0016. initdb refuses to
# run as root, so as root (CI) the cluster runs as the `postgres` user that Debian's package
# creates; anyone else runs it as themselves.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
superuser=passion

die() { echo "postgres.sh: $*" >&2; exit 1; }

# The bin directory of the newest PostgreSQL 15+ server: Debian's layout, else the PATH's.
server_bin() {
  local dir version best="" best_version=0
  for dir in /usr/lib/postgresql/*/bin; do
    version=$(basename "$(dirname "$dir")")
    if [[ $version =~ ^[0-9]+$ ]] && ((version >= 15 && version > best_version)) && [ -x "$dir/initdb" ]; then
      best=$dir best_version=$version
    fi
  done
  if [ -z "$best" ] && command -v initdb > /dev/null && command -v pg_ctl > /dev/null; then
    best=$(dirname "$(command -v initdb)")
    version=$("$best/initdb" --version | grep -oE '[0-9]+' | head -1)
    ((version >= 15)) || best=""
  fi
  echo "$best"
}

# Runs as root, or through sudo without a password prompt.
as_admin() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo > /dev/null && sudo -n true 2> /dev/null; then sudo -n "$@"
  else die "PostgreSQL 15+ is missing and installing it needs root: apt-get install postgresql"
  fi
}

install() {
  [ -n "$(server_bin)" ] && command -v psql > /dev/null && return 0
  command -v apt-get > /dev/null || die "install PostgreSQL 15 or later (initdb, pg_ctl, psql)"
  echo "postgres.sh: installing PostgreSQL from Debian's packages" >&2
  as_admin apt-get update -qq
  as_admin env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql postgresql-client > /dev/null
  [ -n "$(server_bin)" ] || die "no PostgreSQL 15+ server after installing (Debian's is older?)"
}

bin=""
need_server() {
  bin=$(server_bin)
  [ -n "$bin" ] || { install; bin=$(server_bin); }
}

# Runs a server program as the cluster's user, from a directory that user may enter.
as_cluster_user() {
  if [ "$(id -u)" = 0 ]; then
    id postgres > /dev/null 2>&1 || die "running as root needs the user postgres (Debian's package makes it)"
    (cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups "$@")
  else
    (cd / && exec "$@")
  fi
}

check_port() {
  [[ $1 =~ ^[0-9]+$ ]] && (($1 >= 1024 && $1 < 32768)) \
    || die "port $1: use 1024..32767 (above is the kernel's range for outgoing connections)"
}

# Makes the cluster of $1 on first use; its settings are in postgresql.conf, the port is given at
# each start.
init_cluster() {
  local dir=$1 password
  mkdir -p "$dir"
  [ -f "$dir/data/PG_VERSION" ] && [ -f "$dir/password" ] && return 0
  rm -rf "$dir/data"
  mkdir -m 700 "$dir/data"
  local locale=--no-locale
  if locale -a 2> /dev/null | grep -qixE 'c\.utf-?8'; then locale=--locale=C.UTF-8; fi
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  (umask 077 && printf '%s\n' "$password" > "$dir/password")
  local pwfile="$dir/initdb.password"
  (umask 077 && printf '%s\n' "$password" > "$pwfile")
  if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/data" "$pwfile"; fi
  as_cluster_user "$bin/initdb" --pgdata="$dir/data" --username="$superuser" --pwfile="$pwfile" \
    --auth=scram-sha-256 --encoding=UTF8 "$locale" --no-sync > "$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; rm -f "$pwfile"; die "initdb failed (as root, every directory above $dir must be open to postgres)"; }
  rm -f "$pwfile"
  cat >> "$dir/data/postgresql.conf" << 'CONF'
# scripts/postgres.sh: a private test cluster.
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
password_encryption = 'scram-sha-256'
# wrangler dev's local Hyperdrive opens a connection per worker connection, without the pooling
# the real one does: the concurrency suites (200 awards at once) need more than the default 100.
max_connections = 400
CONF
}

# Writes and prints the connection string of the cluster of $1 on port $2.
announce() {
  (umask 077 && printf 'postgres://%s:%s@127.0.0.1:%s/postgres\n' "$superuser" "$(cat "$1/password")" "$2" > "$1/url")
  cat "$1/url"
}

case "${1:-}" in
  install)
    install
    ;;
  start)
    [ $# = 3 ] || die "usage: start DIR PORT"
    dir=$(realpath -m "$2") port=$3
    check_port "$port"
    need_server
    init_cluster "$dir"
    touch "$dir/postgres.log"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir/postgres.log"; fi
    as_cluster_user "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/postgres.log" --wait \
      --options="-p $port" start > /dev/null \
      || { cat "$dir/postgres.log" >&2; die "the cluster of $dir did not start"; }
    announce "$dir" "$port"
    ;;
  run)
    [ $# = 3 ] || die "usage: run DIR PORT"
    dir=$(realpath -m "$2") port=$3
    check_port "$port"
    need_server
    init_cluster "$dir"
    announce "$dir" "$port"
    # exec: the server is this process, so whoever signals it (a supervisor) stops the server.
    if [ "$(id -u)" = 0 ]; then
      cd / && exec setpriv --reuid=postgres --regid=postgres --init-groups "$bin/postgres" -D "$dir/data" -p "$port"
    fi
    cd / && exec "$bin/postgres" -D "$dir/data" -p "$port"
    ;;
  stop)
    [ $# = 2 ] || die "usage: stop DIR"
    dir=$(realpath -m "$2")
    need_server
    as_cluster_user "$bin/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop > /dev/null
    ;;
  migrate)
    [ $# = 2 ] || die "usage: migrate URL"
    url=$2
    command -v psql > /dev/null || install
    psql=(psql --no-psqlrc --quiet --set=ON_ERROR_STOP=1 "$url")
    "${psql[@]}" --command="set client_min_messages = warning;
      create table if not exists schema_migrations (
        name text primary key,
        applied_at timestamptz not null default now())" > /dev/null
    applied=$("${psql[@]}" --tuples-only --no-align --command="select name from schema_migrations")
    count=0
    for file in "$root"/migrations/postgres/*.sql; do
      name=$(basename "$file")
      grep -qxF -- "$name" <<< "$applied" && continue
      # One transaction per migration, its record included: a failure leaves nothing of it.
      # psql stops at the first error and the server rolls the open transaction back.
      "${psql[@]}" --set=name="$name" --file=- > /dev/null << SQL || die "$name failed; nothing of it was applied"
begin;
\i '$file'
insert into schema_migrations (name) values (:'name');
commit;
SQL
      echo "applied $name"
      count=$((count + 1))
    done
    ((count > 0)) || echo "no migrations to apply"
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2
    exit 2
    ;;
esac
