import {
  familiarName,
  type ImageInfo,
  openStore,
  type ProgressEvent,
  parseReference,
  pushImage,
  TemplateError,
} from '@sbx/templates';
import { CliError, EXIT } from '../errors.ts';
import { formatTable } from '../sandbox/table.ts';
import { imagesInUse } from './template.in-use.ts';
import type { TemplateArgs } from './template.ts';

const out = (text: string): void => {
  process.stdout.write(text);
};

/** The store, with unpack warnings (extended attributes left out) as one stderr line each. */
const store = () =>
  openStore({
    onWarning: (message) =>
      process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}sbx: warning: ${message}\n`),
  });

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
/** Sizes in progress lines: small blobs in kB, so a config is not "0.0 MB". */
const size = (n: number) => (n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : mb(n));
const short = (digest: string) => digest.slice(7, 19);

/** Progress on stderr: one rewritten line on a terminal, a line per finished step otherwise. */
function progress(): { onProgress: (p: ProgressEvent) => void; end: () => void } {
  const tty = process.stderr.isTTY === true;
  const done = new Set<string>();
  let last = 0;
  const line = (text: string) => {
    if (tty) process.stderr.write(`\r\x1b[K${text}`);
    else process.stderr.write(`${text}\n`);
  };
  return {
    onProgress(p) {
      if (p.phase === 'done') return;
      if (p.phase === 'read') {
        // Plain output gets one line per 100 MB read; a terminal a rewritten line.
        const step = Math.floor(p.current / 1e8);
        if (tty ? Date.now() - last >= 100 : !done.has(`read ${step}`) && step > 0) {
          last = Date.now();
          done.add(`read ${step}`);
          line(`reading ${p.source}: ${mb(p.current)}`);
        }
        return;
      }
      const key = `${p.phase} ${p.digest}`;
      const finished = p.total !== undefined && p.current >= p.total;
      if (!tty) {
        if (finished && !done.has(key)) {
          done.add(key);
          line(
            p.phase === 'download'
              ? `downloaded ${short(p.digest)} (${size(p.current)})`
              : `unpacked layer ${p.layer + 1}/${p.layers} ${short(p.digest)} (${size(p.current)})`,
          );
        }
        return;
      }
      const now = Date.now();
      if (!finished && now - last < 100) return;
      last = now;
      const what =
        p.phase === 'unpack' ? `unpacking layer ${p.layer + 1}/${p.layers}` : 'downloading';
      line(`${what} ${short(p.digest)} ${size(p.current)}${p.total ? ` / ${size(p.total)}` : ''}`);
    },
    end() {
      if (tty) process.stderr.write('\r\x1b[K');
    },
  };
}

function platformOf(s: string | undefined) {
  if (!s) return undefined;
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture)
    throw new CliError(`invalid --platform "${s}": use os/arch[/variant]`, {
      code: 'SBX_USAGE',
      exitCode: EXIT.usage,
    });
  return { os, architecture, ...(variant ? { variant } : {}) };
}

function summary(img: ImageInfo): string {
  return `${img.reference === img.digest ? img.digest : familiarName(parseReference(img.reference))} ${img.digest} ${img.rootfs}\n`;
}

async function withProgress<T>(
  fn: (onProgress: (p: ProgressEvent) => void) => Promise<T>,
): Promise<T> {
  const p = progress();
  try {
    return await fn(p.onProgress);
  } finally {
    p.end();
  }
}

export async function list(argv: TemplateArgs): Promise<void> {
  const images = await store().list();
  if (argv.json) return out(`${JSON.stringify(images, null, 2)}\n`);
  const rows = images.map((i) => [
    i.reference === i.digest ? '<none>' : familiarName(parseReference(i.reference)),
    short(i.digest),
    i.platform,
    mb(i.size),
    i.unpacked ? 'yes' : 'no',
  ]);
  out(formatTable(['REFERENCE', 'DIGEST', 'PLATFORM', 'SIZE', 'UNPACKED'], rows));
}

export async function pull(argv: TemplateArgs): Promise<void> {
  const platform = platformOf(argv.platform);
  const img = await withProgress((onProgress) =>
    store().pull(argv.ref!, {
      onProgress,
      insecure: argv.insecure === true,
      ...(platform ? { platform } : {}),
    }),
  );
  out(summary(img));
}

export async function load(argv: TemplateArgs): Promise<void> {
  out(
    summary(await withProgress((onProgress) => store().loadFromDocker(argv.ref!, { onProgress }))),
  );
}

export async function importFile(argv: TemplateArgs): Promise<void> {
  const images = await withProgress((onProgress) =>
    store().importArchive(argv.file!, { onProgress, ...(argv.tag ? { tag: argv.tag } : {}) }),
  );
  out(images.map(summary).join(''));
}

export async function push(argv: TemplateArgs): Promise<void> {
  const result = await pushImage(store(), argv.ref!, argv.target ?? argv.ref!, {
    insecure: argv.insecure === true,
  });
  out(`${result.reference} ${result.digest}\n`);
}

export async function inspect(argv: TemplateArgs): Promise<void> {
  const img = await store().resolve(argv.ref!);
  if (argv.json) return out(`${JSON.stringify(img, null, 2)}\n`);
  const c = img.config;
  const rows: [string, string][] = [
    ['Reference', img.reference],
    ['Digest', img.digest],
    ['ID', img.id],
    ['Platform', img.platform],
    ['Size', `${mb(img.size)} in ${img.layers} layer(s)`],
    ['User', c.User || '(root)'],
    ['WorkingDir', c.WorkingDir || '/'],
    ['Entrypoint', JSON.stringify(c.Entrypoint)],
    ['Cmd', JSON.stringify(c.Cmd)],
    ...c.Env.map((e, i): [string, string] => [i === 0 ? 'Env' : '', e]),
    ...Object.entries(c.Labels).map(([k, v], i): [string, string] => [
      i === 0 ? 'Labels' : '',
      `${k}=${v}`,
    ]),
    ['Root filesystem', img.rootfs],
  ];
  out(rows.map(([k, v]) => `${(k ? `${k}:` : '').padEnd(17)}${v}\n`).join(''));
}

export async function remove(argv: TemplateArgs): Promise<void> {
  const templates = store();
  let failed: unknown;
  for (const ref of argv.refs ?? []) {
    try {
      await templates.remove(ref);
      out(`untagged ${ref}\n`);
    } catch (err) {
      if (!(err instanceof TemplateError)) throw err;
      process.stderr.write(`sbx: ${err.message}\n`);
      failed = err;
    }
  }
  if (failed)
    throw new CliError('some templates could not be removed', { code: 'SBX_TEMPLATES_NOT_FOUND' });
}

export async function prune(argv: TemplateArgs): Promise<void> {
  // Untagged images that sandboxes still use stay: their trees are those sandboxes' root filesystems.
  const result = await store().prune({ keep: await imagesInUse() });
  if (argv.json) return out(`${JSON.stringify(result)}\n`);
  out(
    `removed ${result.blobs} blob(s), ${result.rootfs} unpacked tree(s), ${mb(result.bytes)} of blobs\n`,
  );
}
