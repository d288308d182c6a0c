import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sandboxesDir } from '@sbx/config';
import type { SandboxMetadata } from '@sbx/sandboxd';
import { parseReference } from '@sbx/templates';
import { CliError } from '../errors.ts';

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * Image digests the sandboxes under `<docker config>/sandboxes/vm/` use (their metadata.json
 * `template.digest`, or a digest pinned in `template.ref`), for `prune({ keep })`. A metadata
 * file that cannot be read stops the prune: the image of that sandbox is unknown.
 */
export async function imagesInUse(): Promise<string[]> {
  const root = sandboxesDir();
  const names = await readdir(root, { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw unreadable(root, err.message);
  });
  const keep = new Set<string>();
  for (const entry of names) {
    if (!entry.isDirectory()) continue;
    const file = join(root, entry.name, 'metadata.json');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      // A sandbox being created has no metadata yet, and no image either.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw unreadable(file, (err as Error).message);
    }
    const template = parse(text, file);
    if (template.digest !== null) keep.add(template.digest);
    const pinned = pinnedDigest(template.ref);
    if (pinned) keep.add(pinned);
  }
  return [...keep].sort();
}

function parse(text: string, file: string): SandboxMetadata['template'] {
  let meta: Partial<SandboxMetadata>;
  try {
    meta = JSON.parse(text);
  } catch (err) {
    throw unreadable(file, (err as Error).message);
  }
  const t = meta?.template;
  if (typeof t?.ref !== 'string' || !(t.digest === null || DIGEST.test(t.digest ?? ''))) {
    throw unreadable(file, 'it has no template { ref, digest }');
  }
  return t;
}

function pinnedDigest(ref: string): string | undefined {
  try {
    return parseReference(ref).digest;
  } catch {
    return undefined; // `host` and other names that are not image references
  }
}

function unreadable(file: string, why: string): CliError {
  return new CliError(
    `cannot tell which template ${file} uses (${why}): fix or remove that sandbox; nothing was pruned`,
    { code: 'SBX_TEMPLATES_IN_USE_UNKNOWN' },
  );
}
