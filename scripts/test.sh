#!/usr/bin/env bash
# `npm test`: installs what the tests need, then builds, typechecks, lints and runs every test.
# As root it installs the Debian packages the tests use (bubblewrap, dockerd, a registry, …).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Debian packages the test suites use, as "binary:package".
DEB_TOOLS=(
  bwrap:bubblewrap
  dockerd:docker.io
  docker-registry:docker-registry
  skopeo:skopeo
  umoci:umoci
  curl:curl
  tinyproxy:tinyproxy
  mitmdump:mitmproxy
  busybox:busybox-static
  ip:iproute2
  newuidmap:uidmap
  fuse-overlayfs:fuse-overlayfs
  zstd:zstd
  openssl:openssl
  setfattr:attr
)

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  missing=()
  for pair in "${DEB_TOOLS[@]}"; do
    bin=${pair%%:*} pkg=${pair#*:}
    command -v "$bin" >/dev/null || [ -x "/usr/sbin/$bin" ] || [ -x "/bin/$bin" ] || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# Some tests run as an ordinary user (created by the tests) against this checkout. When it lies
# somewhere other users cannot reach (say under /root), run the suite from a bind mount of it in
# a private mount namespace instead of changing any permission on this machine.
if [ "$(id -u)" = 0 ] && [ -z "${SBX_TEST_MOUNTED:-}" ] &&
  ! runuser -u nobody -- test -r "$PWD/package.json" 2>/dev/null; then
  mnt=$(mktemp -d /tmp/sbx-checkout.XXXXXX)
  chmod 755 "$mnt"
  say "other users cannot read $PWD; testing through a private bind mount at $mnt"
  status=0
  SBX_TEST_MOUNTED=1 unshare --mount --propagation private \
    sh -c 'mount --bind "$1" "$2" && cd "$2" && exec bash scripts/test.sh' sh "$PWD" "$mnt" || status=$?
  rmdir "$mnt" 2>/dev/null || true
  exit "$status"
fi

if ! command -v pnpm >/dev/null; then
  say "installing pnpm 10"
  npm install -g pnpm@10 >/dev/null
fi

say "pnpm install"
pnpm install --frozen-lockfile --reporter=default

say "build"
pnpm run build

say "typecheck"
pnpm run typecheck

say "lint"
pnpm run lint

say "test"
node scripts/run-vitest.mjs

say "pack @sbx/policy into a scratch project"
bash scripts/pack-smoke.sh
