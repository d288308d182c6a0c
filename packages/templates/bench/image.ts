import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quote } from '../src/unpack/xattrs.ts';
import { writeOciLayout } from '../test/helpers/image.ts';

export const cacheDir = join(tmpdir(), 'sbx-templates-bench');

/** The Debian mirror and suite apt uses here, read from its sources (never hard-coded). */
function aptMirror(): { uri: string; suite: string } | undefined {
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
  if (existsSync('/etc/apt/sources.list')) files.push('/etc/apt/sources.list');
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    if (f.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
        const suite = /^Suites:\s*(\S+)/m.exec(stanza)?.[1];
        if (
          uri &&
          suite &&
          !/security|updates|backports/.test(suite) &&
          /^deb$/m.test(/^Types:\s*(.*)$/m.exec(stanza)?.[1] ?? '')
        )
          return { uri, suite };
      }
    } else if (f.endsWith('.list')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s+main/m.exec(text);
      if (m && !/security|updates|backports/.test(m[2]!)) return { uri: m[1]!, suite: m[2]! };
    }
  }
  return undefined;
}

export interface BenchImage {
  label: string;
  layer: string;
  files: number;
  bytes: number;
}

/**
 * A gzip layer of a minimal Debian with python3, git and curl (debootstrap --variant=minbase),
 * cached under the OS temp dir; where debootstrap cannot run, a generated tree of many files,
 * labelled as such.
 */
export function benchImage(): BenchImage {
  mkdirSync(cacheDir, { recursive: true });
  const debian = join(cacheDir, 'debian-minbase.tar.gz');
  const rootfs = join(cacheDir, 'rootfs');
  if (!existsSync(debian)) {
    const mirror = aptMirror();
    const canBootstrap =
      process.geteuid?.() === 0 && mirror && spawnSync('debootstrap', ['--version']).status === 0;
    if (canBootstrap && !existsSync(`${rootfs}.complete`)) {
      rmSync(rootfs, { recursive: true, force: true });
      console.log(
        `building the bench image: debootstrap --variant=minbase ${mirror.suite} (about 2 minutes, cached)`,
      );
      execFileSync(
        'debootstrap',
        ['--variant=minbase', '--include=python3,git,curl', mirror.suite, rootfs, mirror.uri],
        { stdio: 'ignore' },
      );
      for (const d of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
        for (const f of readdirSync(join(rootfs, d)))
          if (f.endsWith('.deb') || d.endsWith('lists'))
            rmSync(join(rootfs, d, f), { recursive: true, force: true });
      }
      writeFileSync(`${rootfs}.complete`, '');
    }
    if (existsSync(`${rootfs}.complete`)) {
      console.log('compressing the bench layer (cached)');
      execFileSync('tar', ['-C', rootfs, '--numeric-owner', '-czf', `${debian}.tmp`, '.']);
      renameSync(`${debian}.tmp`, debian);
    }
  }
  if (existsSync(debian))
    return {
      label: 'Debian bookworm minbase + python3, git, curl (debootstrap)',
      layer: debian,
      ...count(debian),
    };
  return generated();
}

/**
 * The same layer with a user.* attribute on every regular file (`BENCH_XATTRS=1`), cached:
 * what the batched setfattr of an unpack costs.
 */
export function benchXattrsImage(): BenchImage {
  const base = benchImage();
  const layer = join(
    cacheDir,
    `${base.layer.endsWith('generated.tar.gz') ? 'generated' : 'debian'}-xattrs.tar.gz`,
  );
  if (!existsSync(layer)) {
    const root = join(cacheDir, 'xattrs-root');
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root);
    execFileSync('tar', ['-xzf', base.layer, '-C', root]);
    const files = execFileSync('find', [root, '-type', 'f', '-print0'], { maxBuffer: 1 << 28 })
      .toString()
      .split('\0')
      .filter(Boolean);
    const dump = files.map((f) => `# file: ${quote(f)}\nuser.sbx.bench=0x0102030405060708\n`);
    execFileSync('setfattr', ['-h', '--restore=-'], { input: dump.join('\n') });
    execFileSync('tar', [
      '--xattrs',
      '--xattrs-include=user.*',
      '-C',
      root,
      '--numeric-owner',
      '-czf',
      `${layer}.tmp`,
      '.',
    ]);
    renameSync(`${layer}.tmp`, layer);
    rmSync(root, { recursive: true, force: true });
  }
  return {
    label: `${base.label}, with a user.* attribute on every regular file`,
    layer,
    ...count(layer),
  };
}

function count(layer: string): { files: number; bytes: number } {
  const list = execFileSync('tar', ['-tvzf', layer], { maxBuffer: 1 << 28, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean);
  let bytes = 0;
  for (const l of list) bytes += Number(l.split(/\s+/)[2]) || 0;
  return { files: list.length, bytes };
}

/** Fallback: 12k files totalling about 280 MB, half of them compressible text. */
function generated(): BenchImage {
  const layer = join(cacheDir, 'generated.tar.gz');
  if (!existsSync(layer)) {
    const root = join(cacheDir, 'generated');
    rmSync(root, { recursive: true, force: true });
    let seed = 1;
    for (let i = 0; i < 12000; i++) {
      const dir = join(root, `d${i % 300}`, `e${i % 7}`);
      mkdirSync(dir, { recursive: true });
      const size = i % 100 === 0 ? 1_500_000 : 10_000;
      const buf = Buffer.alloc(size);
      for (let j = 0; j < size; j += 4) {
        seed = (seed * 1103515245 + 12345) >>> 0;
        buf.writeUInt32LE(seed & (i % 2 ? 0xffffffff : 0x0f0f0f0f), j);
      }
      writeFileSync(join(dir, `f${i}`), buf);
    }
    execFileSync('tar', ['-C', root, '--numeric-owner', '-czf', layer, '.']);
  }
  return {
    label: 'GENERATED fallback image (debootstrap unavailable): 12k synthetic files',
    layer,
    ...count(layer),
  };
}

/** An OCI image layout around `layer`, as `umoci` and the store both read it. */
export function writeLayout(dir: string, layer: string, tag: string): void {
  writeOciLayout(dir, [readFileSync(layer)], {
    refName: tag,
    configExtra: { config: { Env: ['PATH=/usr/bin:/bin'] } },
  });
}
