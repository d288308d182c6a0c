#!/usr/bin/env bash
# Proves that the published tarball of @sbx/policy installs and imports in a scratch project.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd packages/policy && pnpm pack --pack-destination "$scratch" >/dev/null)
cd "$scratch"
npm init -y >/dev/null
npm install --no-audit --no-fund ./sbx-policy-*.tgz >/dev/null
node --input-type=module -e "
import { compilePolicy } from '@sbx/policy';
const p = compilePolicy({ policy: 'deny', allowHosts: ['example.com:443'] });
const d = p.check({ host: 'EXAMPLE.com.', port: 443, addresses: ['93.184.215.14'] });
if (d.action !== 'allow') { console.error('unexpected decision', d); process.exit(1); }
console.log('@sbx/policy from its tarball: ok');
"
