#!/usr/bin/env bash
# `npm start`: sets up a fresh clone (pnpm, packages, build), then runs a real sandbox on the
# built-in host template: one request its policy allows, two it denies, and the network log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
sbx() { node "$root/apps/cli/dist/sbx.cjs" "$@"; }

if ! command -v pnpm >/dev/null; then
  echo "installing pnpm 10" >&2
  npm install -g pnpm@10 >/dev/null
fi
if [ ! -d node_modules/.pnpm ]; then
  echo "installing packages" >&2
  pnpm install --frozen-lockfile --reporter=default >&2
fi
echo "building" >&2
pnpm run build >/dev/null

sbx version
node apps/cli/dist/sbx.cjs daemon status >/dev/null 2>&1 || true

# A service on this machine's loopback, which a sandbox reaches only when its policy allows it.
portfile=$(mktemp)
node -e '
  const s = require("node:http").createServer((q, r) => r.end("hello from the host, through the sbx proxy\n"));
  s.listen(0, "127.0.0.1", () => require("node:fs").writeFileSync(process.argv[1], String(s.address().port)));
' "$portfile" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$portfile"' EXIT
for _ in $(seq 50); do [ -s "$portfile" ] && break; sleep 0.1; done
port=$(cat "$portfile")

name=sbx-demo
workspace="$root"
if sbx inspect "$name" >/dev/null 2>&1; then sbx rm "$name" >/dev/null; fi

step "sbx create shell $workspace --name $name"
sbx create shell "$workspace" --name "$name"
step "sbx network proxy $name --allow-host localhost:$port --block-host example.com"
sbx network proxy "$name" --allow-host "localhost:$port" --block-host example.com
step "sbx exec $name sh -c 'curl http://host.docker.internal:$port/; curl https://example.com/; curl http://10.0.0.1/'"
sbx exec "$name" sh -c "
  echo '-- allowed:'; curl -sS -m 10 http://host.docker.internal:$port/
  echo '-- denied (a block rule):'; curl -sS -m 10 https://example.com/ 2>&1 || true
  echo '-- denied (a private address):'; curl -sS -m 10 http://10.0.0.1/ 2>&1 || true
"
step "sbx network log $name"
sbx network log "$name"
step "sbx ls"
sbx ls
step "sbx stop $name"
sbx stop "$name"
cat <<EOT

A shell in that sandbox:   node apps/cli/dist/sbx.cjs run $name
Its policy, rules in order: node apps/cli/dist/sbx.cjs network proxy $name --show
(pnpm sbx … does the same; 'sbx --help' lists every command.)
EOT
