#!/usr/bin/env bash
# scripts/build-image.sh — build the container image from ./Dockerfile on a machine that reaches no image registry.
#
#   bash scripts/build-image.sh [TAG]        (default tag incident-bot:local)
#
# The Dockerfile's default base (node:20-bookworm-slim) comes from a registry. Here the base is made from this
# machine instead: its Node 20 binary and the shared libraries `ldd` lists, its npm, busybox-static for /bin/sh, CA
# certificates and a `node` user (uid 1000), as the official image has. `docker import` turns that root filesystem
# into incident-bot/node-base:<node version>, and the real Dockerfile is built on it with --build-arg BASE=….
# The base is made once per Node version; the Dockerfile's layers are cached by the engine as usual.
#
# Engine: $DOCKER_HOST, default the private one scripts/start-services.sh starts (unix:///run/incident-bot/docker.sock).
# The build runs with --network host (that engine has no bridge network) so npm ci reaches the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."

TAG=${1:-incident-bot:local}
export DOCKER_HOST=${DOCKER_HOST:-unix:///run/incident-bot/docker.sock}
# The legacy builder: this engine (Debian's docker.io) has no BuildKit front-end image to pull.
export DOCKER_BUILDKIT=0

say() { printf '[build-image] %s\n' "$*" >&2; }
fail() {
  printf '[build-image] FAILED: %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '[build-image] fix: %s\n' "$2" >&2
  exit 1
}

command -v docker >/dev/null || fail "no docker CLI on PATH" "bash scripts/start-services.sh installs docker.io"
docker info >/dev/null 2>&1 || fail "no Docker engine answers at $DOCKER_HOST" "bash scripts/start-services.sh (as root) starts it"
NODE=$(readlink -f "$(command -v node)")
NODE_VERSION=$("$NODE" --version)
case $NODE_VERSION in v20.*) ;; *) fail "node on PATH is $NODE_VERSION, the image needs Node 20" "install Node 20 (see .nvmrc)" ;; esac
NPM_DIR=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
[ -f "$NPM_DIR/package.json" ] || fail "cannot find npm's own directory (looked at $NPM_DIR)" "install npm with Node"
[ -x /bin/busybox ] || fail "/bin/busybox is missing" "apt-get install busybox-static (scripts/start-services.sh does)"
# -r<n>: bump when make_base changes, so machines that made an older base make it again.
BASE=incident-bot/node-base:${NODE_VERSION#v}-r1

make_base() {
  local root lib
  root=$(mktemp -d /tmp/incident-bot-node-rootfs.XXXXXX)
  trap 'rm -rf "$root"' RETURN
  mkdir -p "$root"/{bin,usr/bin,usr/lib/node_modules,usr/etc,etc/ssl/certs,tmp,root,home/node,proc,sys,dev}
  chmod 1777 "$root/tmp"
  cp "$NODE" "$root/usr/bin/node"
  # The loader and every library node links against, at the paths ldd resolved them to.
  for lib in $(ldd "$NODE" | grep -o '/[^ ]*'); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  cp -a "$NPM_DIR" "$root/usr/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/bin/npx"
  # This machine's npm settings (the CA bundle it trusts for the registry), as its own npm reads them.
  [ -f /usr/etc/npmrc ] && cp /usr/etc/npmrc "$root/usr/etc/npmrc"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in sh ls cat mkdir chown chmod rm cp mv ln env id printf echo test true false sleep kill ps; do
    ln -s busybox "$root/bin/$applet"
  done
  ln -s /bin/busybox "$root/usr/bin/env" # npm's `#!/usr/bin/env node`
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$root/etc/group"
  chown 1000:1000 "$root/home/node"
  tar -C "$root" --numeric-owner -c . |
    docker import \
      --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_VERSION='"${NODE_VERSION#v}" \
      --change 'CMD ["node"]' \
      --change "LABEL org.opencontainers.image.description=node-${NODE_VERSION}-from-this-machine-for-incident-bot-ci" \
      - "$BASE" >/dev/null
}

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  say "making the base image $BASE from $NODE, its libraries, npm and busybox"
  make_base || fail "docker import of $BASE failed" "read the engine's log (/var/log/incident-bot-dockerd.log)"
fi

say "building $TAG from ./Dockerfile on $BASE"
started=$(date +%s)
docker build --network host --build-arg BASE="$BASE" -t "$TAG" . ||
  fail "docker build failed (output above)" "fix the Dockerfile or the step it names, then rerun bash scripts/build-image.sh"
say "built $TAG in $(($(date +%s) - started)) s ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1 / 1e6}'))"
# The previous build of this tag, now untagged: drop it so repeated CI runs do not fill the engine's disk.
docker image prune --force --filter label=org.opencontainers.image.title=incident-bot >/dev/null || true
