#!/usr/bin/env bash
# scripts/start-services.sh — start every real service the test suite needs. Idempotent: safe on a fresh machine
# and when everything is already up (a warm run takes a few seconds). Run as root (CI machines run as root).
#
# Where the tests find things (fixed places, no environment variables needed):
#   PostgreSQL      postgres://postgres@127.0.0.1:5432/postgres   (trust auth; database `test` is ensured)
#                   override in tests with TEST_POSTGRES_URL
#   Redis           redis://127.0.0.1:6379                         override in tests with TEST_REDIS_URL
#   Docker engine   unix:///run/incident-bot/docker.sock           (private dockerd, its own data root
#                   /var/lib/incident-bot-docker, log /var/log/incident-bot-dockerd.log; never /var/run/docker.sock)
#   Docker image    incident-bot/busybox:latest                    (imported from busybox-static; no registry needed)
#   Prometheus      /usr/bin/prometheus                            (Debian package `prometheus`; no daemon started)
#   Alertmanager    /usr/bin/prometheus-alertmanager, /usr/bin/amtool (package `prometheus-alertmanager`; no daemon)
#
# The tests start their own Prometheus / Alertmanager processes on ephemeral ports (test/support/*.ts); this script
# only makes sure the binaries are installed and that no system-wide daemon holds 9090/9093.
#
# Environment knobs (optional):
#   INCIDENT_BOT_DOCKER_STORAGE_DRIVER=overlay2|vfs   force a storage driver (default: overlay2 if the kernel can
#                                                     mount overlay on the data root's filesystem, else vfs)
set -uo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"

DOCKER_SOCK=/run/incident-bot/docker.sock
DOCKER_HOST_URL="unix://${DOCKER_SOCK}"
DOCKER_DATA_ROOT=/var/lib/incident-bot-docker
DOCKER_EXEC_ROOT=/run/incident-bot/docker-exec
DOCKER_PIDFILE=/run/incident-bot/docker.pid
DOCKER_LOG=/var/log/incident-bot-dockerd.log
DOCKER_DRIVER_FILE=/run/incident-bot/storage-driver
IMAGE=incident-bot/busybox:latest
PACKAGES=(docker.io busybox-static prometheus prometheus-alertmanager)

STARTED_AT=$(date +%s)
declare -a STATUS=()

say() { printf '[start-services] %s\n' "$*" >&2; }
fail() {
  # fail "what failed" "how to fix it"
  printf '\n[start-services] FAILED: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '[start-services] fix: %s\n' "$2" >&2
  exit 1
}
status() { STATUS+=("$(printf '%-14s %s' "$1" "$2")"); }

if [ "$(id -u)" -ne 0 ]; then
  fail "this script must run as root (it installs packages and starts dockerd)" "run it as root: sudo bash scripts/start-services.sh"
fi

# docker CLI: whatever is on PATH (the machine may carry a newer static client in /usr/local/bin; it negotiates the
# API version with the daemon). Resolved after the packages are installed.
dockercli() { docker -H "$DOCKER_HOST_URL" "$@"; }

# ---------------------------------------------------------------------------------------------------------------
# 1. PostgreSQL and Redis
# ---------------------------------------------------------------------------------------------------------------
ensure_postgres() {
  if ! pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1; then
    command -v pg_ctlcluster >/dev/null 2>&1 || fail "PostgreSQL is not running and pg_ctlcluster is missing" \
      "install PostgreSQL (apt-get install postgresql) or point TEST_POSTGRES_URL at a server"
    local ver
    ver=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n1)
    [ -n "$ver" ] || fail "no PostgreSQL cluster under /etc/postgresql" "create one: pg_createcluster <version> main"
    say "starting PostgreSQL $ver/main"
    # exit 2 = "already running" (e.g. still starting up or in recovery): then just wait for it below
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 ||
      pg_ctlcluster --skip-systemctl-redirect "$ver" main status >/dev/null 2>&1 ||
      fail "pg_ctlcluster $ver main start failed" "see /var/log/postgresql/postgresql-$ver-main.log"
    local i
    for i in $(seq 1 60); do
      pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break
      sleep 0.5
    done
    pg_isready -q -h 127.0.0.1 -p 5432 >/dev/null 2>&1 ||
      fail "PostgreSQL did not answer on 127.0.0.1:5432 within 30 s" "see /var/log/postgresql/postgresql-$ver-main.log"
  fi
  local has
  has=$(psql -h 127.0.0.1 -U postgres -d postgres -tAXc "SELECT 1 FROM pg_database WHERE datname = 'test'" 2>&1) ||
    fail "cannot connect to PostgreSQL as postgres@127.0.0.1: $has" \
      "allow trust (or set PGPASSWORD) for user postgres on 127.0.0.1 in pg_hba.conf"
  if [ "$has" != "1" ]; then
    psql -h 127.0.0.1 -U postgres -d postgres -qXc 'CREATE DATABASE test' >&2 ||
      fail "CREATE DATABASE test failed" "check the PostgreSQL log"
  fi
  status postgresql "up: postgres://postgres@127.0.0.1:5432/postgres (database test exists)"
}

ensure_redis() {
  if [ "$(timeout 3 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" != "PONG" ]; then
    command -v redis-server >/dev/null 2>&1 || fail "Redis is not running and redis-server is missing" \
      "apt-get install redis-server"
    say "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >&2 ||
      fail "redis-server failed to start" "run: redis-server --bind 127.0.0.1 --port 6379 (foreground) to see why"
    local i
    for i in $(seq 1 40); do
      [ "$(timeout 3 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ] && break
      sleep 0.25
    done
    [ "$(timeout 3 redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = "PONG" ] ||
      fail "Redis did not answer PING on 127.0.0.1:6379 within 10 s" "is something else on port 6379? (ss -ltnp)"
  fi
  status redis "up: redis://127.0.0.1:6379"
}

# ---------------------------------------------------------------------------------------------------------------
# 2. Debian packages
# ---------------------------------------------------------------------------------------------------------------
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do pkg_installed "$p" || missing+=("$p"); done
  # the binaries themselves must be there too (a half-removed package would pass dpkg -s but not this)
  for p in dockerd containerd runc prometheus prometheus-alertmanager amtool; do
    command -v "$p" >/dev/null 2>&1 || { [ -x "/usr/bin/$p" ] || [ -x "/usr/sbin/$p" ]; } || {
      case $p in
        dockerd | containerd | runc) missing+=(docker.io) ;;
        prometheus) missing+=(prometheus) ;;
        *) missing+=(prometheus-alertmanager) ;;
      esac
    }
  done
  [ -x /bin/busybox ] && /bin/busybox --help >/dev/null 2>&1 || missing+=(busybox-static)
  # The playground's browser test drives Debian's chromium (never a downloaded browser); the emoji font makes its
  # screenshots show the Slack emoji the bot sends.
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  pkg_installed fonts-noto-color-emoji || missing+=(fonts-noto-color-emoji)
  if [ ${#missing[@]} -gt 0 ]; then
    mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
    say "installing ${missing[*]}"
    # Keep package maintainer scripts from starting system-wide daemons (prometheus on :9090, alertmanager on
    # :9093, containerd/dockerd on the default sockets): invoke-rc.d asks policy-rc.d, 101 = "action forbidden".
    local policy=/usr/sbin/policy-rc.d backup=""
    if [ -e "$policy" ]; then
      backup=$(mktemp /tmp/policy-rc.d.XXXXXX)
      cp -p "$policy" "$backup"
    fi
    printf '#!/bin/sh\n# written by incident-bot scripts/start-services.sh during apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    local rc=0 log
    log=$(mktemp /tmp/start-services-apt.XXXXXX)
    {
      apt-get update -q &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
          -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}"
    } >"$log" 2>&1 || rc=$?
    if [ -n "$backup" ]; then mv -f "$backup" "$policy"; else rm -f "$policy"; fi
    if [ $rc -ne 0 ]; then
      tail -n 30 "$log" >&2
      fail "apt-get install ${missing[*]} failed (full log: $log)" \
        "check that the Debian mirror is reachable (apt-get update) and rerun this script"
    fi
    rm -f "$log"
  fi
  # No system-wide Prometheus / Alertmanager / node-exporter may sit on the well-known ports: tests start their own
  # on ephemeral ports, but code under test may default to 9090/9093 and must not reach a stray daemon by accident.
  local svc pidf pid
  for svc in prometheus prometheus-alertmanager; do
    for pidf in "/run/$svc.pid" "/run/prometheus/$svc.pid"; do
      [ -f "$pidf" ] || continue
      pid=$(cat "$pidf" 2>/dev/null)
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        say "stopping system-wide $svc (pid $pid, started by the package)"
        if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || kill "$pid" 2>/dev/null; else kill "$pid" 2>/dev/null; fi
      fi
    done
  done
  status packages "installed: ${PACKAGES[*]}"
  status prometheus "binary: $(command -v prometheus) ($(prometheus --version 2>&1 | head -n1 | awk '{print $3}'))"
  status chromium "binary: /usr/bin/chromium ($(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'))"
  status alertmanager "binary: $(command -v prometheus-alertmanager) ($(prometheus-alertmanager --version 2>&1 | head -n1 | awk '{print $3}')), amtool: $(command -v amtool)"
}

# ---------------------------------------------------------------------------------------------------------------
# 3. Docker engine on a private socket
# ---------------------------------------------------------------------------------------------------------------
docker_answers() { timeout 10 docker -H "$DOCKER_HOST_URL" info >/dev/null 2>&1; }

dockerd_pid() {
  local pid
  [ -f "$DOCKER_PIDFILE" ] || return 1
  pid=$(cat "$DOCKER_PIDFILE" 2>/dev/null)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/comm" 2>/dev/null || return 1
  # a killed dockerd may linger as a zombie (nobody reaps it promptly): that is not a running daemon
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}

# Can the kernel mount overlay with upper/work dirs on the data root's filesystem? (overlay2's own requirement)
overlay_works() {
  local t rc=1
  mkdir -p "$DOCKER_DATA_ROOT"
  t=$(mktemp -d "$DOCKER_DATA_ROOT/.overlay-probe.XXXXXX") || return 1
  mkdir -p "$t/lower" "$t/upper" "$t/work" "$t/merged"
  echo x >"$t/lower/f"
  if mount -t overlay overlay -o "lowerdir=$t/lower,upperdir=$t/upper,workdir=$t/work" "$t/merged" 2>/dev/null; then
    [ "$(cat "$t/merged/f" 2>/dev/null)" = x ] && echo y >"$t/merged/g" 2>/dev/null && rc=0
    umount "$t/merged" 2>/dev/null
  fi
  rm -rf "$t"
  return $rc
}

stop_dockerd() {
  local pid i
  pid=$(dockerd_pid) || return 0
  say "stopping dockerd (pid $pid)"
  kill "$pid" 2>/dev/null
  for i in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  rm -f "$DOCKER_PIDFILE"
}

start_dockerd() {
  local driver=$1 pid i
  mkdir -p /run/incident-bot "$DOCKER_DATA_ROOT" "$DOCKER_EXEC_ROOT"
  rm -f "$DOCKER_SOCK"
  say "starting dockerd on $DOCKER_SOCK (storage driver $driver)"
  # A brief boundary line keeps the log readable across restarts.
  printf '\n===== %s start-services.sh: dockerd --storage-driver %s =====\n' "$(date -Is)" "$driver" >>"$DOCKER_LOG"
  # --bridge=none / --iptables=false: no docker0, no NAT rules; tests use NetworkMode none.
  # --containerd is not given: dockerd supervises its own containerd under the exec root, so a system containerd
  # (or none) does not matter. setsid+nohup: the daemon survives this shell and CI step boundaries.
  setsid nohup dockerd \
    --host "$DOCKER_HOST_URL" \
    --iptables=false --ip-masq=false --ip-forward=false --bridge=none \
    --data-root "$DOCKER_DATA_ROOT" \
    --exec-root "$DOCKER_EXEC_ROOT" \
    --pidfile "$DOCKER_PIDFILE" \
    --storage-driver "$driver" \
    >>"$DOCKER_LOG" 2>&1 </dev/null &
  pid=$!
  for i in $(seq 1 120); do
    docker_answers && { echo "$driver" >"$DOCKER_DRIVER_FILE"; return 0; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "dockerd (pid $pid) did not answer within 60 s; last log lines:"
    grep -vE 'level=(info|debug)' "$DOCKER_LOG" | tail -n 15 >&2
    return 2
  fi
  say "dockerd exited during start-up; last log lines:"
  grep -vE 'level=(info|debug)' "$DOCKER_LOG" | tail -n 15 >&2
  return 1
}

ensure_dockerd() {
  local pid driver
  if docker_answers; then
    :
  elif pid=$(dockerd_pid); then
    # our dockerd is alive but not answering yet (e.g. still starting): give it some time
    say "dockerd (pid $pid) is running but not answering yet; waiting"
    local i
    for i in $(seq 1 60); do docker_answers && break; sleep 0.5; done
    if ! docker_answers; then
      stop_dockerd
    fi
  fi
  if ! docker_answers; then
    [ -f "$DOCKER_PIDFILE" ] && ! dockerd_pid >/dev/null && rm -f "$DOCKER_PIDFILE"
    driver=${INCIDENT_BOT_DOCKER_STORAGE_DRIVER:-}
    if [ -z "$driver" ]; then
      if overlay_works; then driver=overlay2; else
        say "overlay mounts do not work on $(df --output=fstype "$DOCKER_DATA_ROOT" | tail -n1); using vfs"
        driver=vfs
      fi
    fi
    if ! start_dockerd "$driver"; then
      if [ "$driver" != vfs ] && [ -z "${INCIDENT_BOT_DOCKER_STORAGE_DRIVER:-}" ]; then
        say "retrying with --storage-driver vfs"
        stop_dockerd
        start_dockerd vfs || fail "dockerd did not start (overlay2 and vfs both failed)" \
          "read $DOCKER_LOG; remove a stale $DOCKER_PIDFILE / $DOCKER_SOCK, or rm -rf $DOCKER_DATA_ROOT and rerun"
      else
        fail "dockerd did not start with --storage-driver $driver" \
          "read $DOCKER_LOG; remove a stale $DOCKER_PIDFILE / $DOCKER_SOCK, or rm -rf $DOCKER_DATA_ROOT and rerun"
      fi
    fi
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# 4. The busybox image (no registry: built from busybox-static on the host)
# ---------------------------------------------------------------------------------------------------------------
import_image() {
  local root
  root=$(mktemp -d /tmp/incident-bot-busybox-rootfs.XXXXXX)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/proc" "$root/sys" "$root/dev" "$root/var/run"
  chmod 1777 "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in sh ash sleep cat echo ls kill killall top ps wc tail head date yes true false env printf \
    grep sed awk mkdir rm mv cp touch chmod id hostname uname free df du pidof nc wget seq tr cut sort uniq \
    test '[' expr basename dirname find xargs vi; do
    ln -sf busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf '127.0.0.1 localhost\n' >"$root/etc/hosts"
  tar -C "$root" --numeric-owner --owner=0 --group=0 -c . |
    dockercli import \
      --change 'CMD ["/bin/sh"]' \
      --change 'ENV PATH=/bin' \
      --change 'LABEL org.opencontainers.image.description=busybox-static-rootfs-for-incident-bot-tests' \
      - "$IMAGE" >/dev/null
  local rc=$?
  rm -rf "$root"
  return $rc
}

verify_image() { [ "$(timeout 60 docker -H "$DOCKER_HOST_URL" run --rm --network none "$IMAGE" echo ok 2>>"$DOCKER_LOG")" = ok ]; }

ensure_image() {
  if ! dockercli image inspect "$IMAGE" >/dev/null 2>&1; then
    say "importing $IMAGE from /bin/busybox"
    import_image || fail "docker import of $IMAGE failed" "read $DOCKER_LOG and rerun this script"
  fi
  # Running a container proves runc, cgroups, mounts and the storage driver all work. A warm run skips this only
  # when a container of the image already ran successfully with this daemon (marker written below).
  local marker=/run/incident-bot/image-verified pidnow
  pidnow=$(dockerd_pid || echo external)
  if [ "$(cat "$marker" 2>/dev/null)" != "$pidnow" ] || ! dockercli image inspect "$IMAGE" >/dev/null 2>&1; then
    if ! verify_image; then
      local err
      err=$(timeout 60 docker -H "$DOCKER_HOST_URL" run --rm --network none "$IMAGE" echo ok 2>&1)
      local driver
      driver=$(cat "$DOCKER_DRIVER_FILE" 2>/dev/null)
      if [ "$driver" != vfs ] && [ -z "${INCIDENT_BOT_DOCKER_STORAGE_DRIVER:-}" ] && dockerd_pid >/dev/null; then
        say "docker run failed with storage driver ${driver:-?} ($err); restarting dockerd with vfs"
        stop_dockerd
        start_dockerd vfs || fail "dockerd did not restart with vfs" "read $DOCKER_LOG"
        import_image || fail "docker import of $IMAGE failed (vfs)" "read $DOCKER_LOG"
        verify_image || fail "docker run --rm --network none $IMAGE echo ok fails: $err" \
          "read $DOCKER_LOG (cgroups? runc? seccomp?)"
      else
        fail "docker run --rm --network none $IMAGE echo ok fails: $err" "read $DOCKER_LOG (cgroups? runc? seccomp?)"
      fi
    fi
    dockerd_pid >"$marker" 2>/dev/null || echo external >"$marker"
  fi
  local info
  info=$(dockercli info --format '{{.ServerVersion}} storage={{.Driver}} cgroup={{.CgroupDriver}}/v{{.CgroupVersion}}' 2>/dev/null)
  status docker "up: $DOCKER_HOST_URL (dockerd $info, pid $(dockerd_pid || echo '?'))"
  status image "ok: $IMAGE ($(dockercli image inspect --format '{{.Id}}' "$IMAGE" | cut -c1-19))"
}

ensure_postgres
ensure_redis
ensure_packages
ensure_dockerd
ensure_image

for line in "${STATUS[@]}"; do printf '%s\n' "$line"; done
printf '%-14s %s\n' done "all services up in $(($(date +%s) - STARTED_AT)) s"
