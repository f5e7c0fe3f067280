#!/usr/bin/env bash
# scripts/check-lock.sh — fail, saying what to do, if `npm ci` would refuse package-lock.json on any platform people
# install on. npm records only the optional native packages (@swc/core-*, @unrs/resolver-binding-*) it resolved, and
# `npm ci` on another OS or CPU then stops with "Missing: … from lock file". Each platform is a dry run (no download)
# in a scratch copy of package.json and the lock, so the work tree's node_modules plays no part.
set -uo pipefail
cd "$(dirname "$0")/.."

PLATFORMS=(linux/x64 linux/arm64 darwin/arm64 darwin/x64 win32/x64)
scratch=$(mktemp -d /tmp/incident-bot-lockcheck.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
cp package.json package-lock.json "$scratch/"

failed=()
for platform in "${PLATFORMS[@]}"; do
  os=${platform%/*}
  cpu=${platform#*/}
  if ! out=$(cd "$scratch" && npm ci --dry-run --ignore-scripts --no-audit --no-fund --os="$os" --cpu="$cpu" 2>&1); then
    failed+=("$platform")
    printf '%s\n' "$out" | grep -E 'Missing:|Invalid:|error' | head -n 8 | sed "s|^|  [$platform] |"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "package-lock.json would be refused by npm ci on: ${failed[*]}"
  echo "fix: bash scripts/relock.sh, then commit package-lock.json"
  exit 1
fi
echo "package-lock.json: npm ci accepts it on ${PLATFORMS[*]}"
