#!/usr/bin/env bash
# scripts/relock.sh — regenerate package-lock.json from package.json so that `npm ci` accepts it on every platform.
# Run it after adding, removing or upgrading a dependency (instead of committing the lock `npm install` left).
# A lock written from scratch records every platform's optional native packages; one updated in place by
# `npm install` keeps only this machine's, which `npm ci` elsewhere refuses. Versions move to the newest that
# package.json allows: review `git diff package-lock.json` before committing.
set -euo pipefail
cd "$(dirname "$0")/.."

rm -f package-lock.json
npm install --package-lock-only --ignore-scripts --no-audit --no-fund
bash scripts/check-lock.sh
echo "next: npm ci (brings node_modules to the new lock), run the tests, commit package-lock.json"
