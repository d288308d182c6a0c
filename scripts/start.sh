#!/usr/bin/env bash
# `npm start`: sets up a fresh clone (pnpm, packages, build) and runs sbx's main job.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null; then
  echo "installing pnpm 10" >&2
  npm install -g pnpm@10 >/dev/null
fi
[ -d node_modules/.pnpm ] || pnpm install --frozen-lockfile --reporter=default >&2
pnpm run build >/dev/null

sbx() { node apps/cli/dist/bin.js "$@"; }
sbx version
sbx --help
sbx network proxy --default --show   # the policy new sandboxes start from (created on first use)
