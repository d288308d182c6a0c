import { TemplateError } from './errors.ts';

/** A normalised image reference, as Docker spells it (`docker.io/library/ubuntu:latest`). */
export interface Reference {
  /** Registry host (and port): `docker.io`, `localhost:5000`. */
  registry: string;
  /** Repository path inside the registry: `library/ubuntu`. */
  repository: string;
  /** Tag; `latest` when neither tag nor digest was given. */
  tag: string | undefined;
  /** Content digest (`sha256:…`) when pinned. */
  digest: string | undefined;
  /** `registry/repository`. */
  name: string;
  /** The full normalised reference: `name[:tag][@digest]`. */
  canonical: string;
}

export const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_REGISTRIES = new Set(['index.docker.io', 'registry-1.docker.io']);

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:.]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const MAX_NAME = 255;

function invalid(input: string, why: string): TemplateError {
  return new TemplateError(
    'SBX_TEMPLATES_INVALID_REFERENCE',
    `invalid image reference "${input}": ${why}`,
  );
}

/** True for a well-formed `sha256:<64 lowercase hex>` digest, the only algorithm the store keeps. */
export function isSha256Digest(s: string): boolean {
  return SHA256.test(s);
}

/**
 * Parses and normalises an image reference the way Docker does:
 * `ubuntu` -> `docker.io/library/ubuntu:latest`, `localhost:5000/team/img:v1`, `img@sha256:…`.
 */
export function parseReference(input: string): Reference {
  if (input.length === 0) throw invalid(input, 'it is empty');
  if (input !== input.trim()) throw invalid(input, 'it has leading or trailing spaces');
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw invalid(input, `"${digest}" is not a digest (algorithm:hex)`);
    if (digest.startsWith('sha256:') && !SHA256.test(digest)) {
      throw invalid(input, 'a sha256 digest is 64 lowercase hex characters');
    }
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(
        input,
        `tag "${tag}" must be 1-128 of [A-Za-z0-9_.-], not starting with . or -`,
      );
    }
  }
  if (rest.length === 0) throw invalid(input, 'the repository name is missing');

  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const first = rest.slice(0, slash);
    if (
      first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first !== first.toLowerCase()
    ) {
      if (!DOMAIN.test(first)) throw invalid(input, `"${first}" is not a valid registry host`);
      registry = LEGACY_REGISTRIES.has(first) ? DEFAULT_REGISTRY : first;
      path = rest.slice(slash + 1);
    }
  }
  const components = path.split('/');
  for (const c of components) {
    if (c.length === 0) throw invalid(input, 'the repository path has an empty component');
    if (c !== c.toLowerCase()) throw invalid(input, 'repository names must be lowercase');
    if (!PATH_COMPONENT.test(c)) {
      throw invalid(
        input,
        `"${c}" is not a valid repository component ([a-z0-9] separated by . _ __ -)`,
      );
    }
  }
  if (registry === DEFAULT_REGISTRY && components.length === 1) path = `library/${path}`;
  const name = `${registry}/${path}`;
  if (name.length > MAX_NAME)
    throw invalid(input, `the name is longer than ${MAX_NAME} characters`);
  if (tag === undefined && digest === undefined) tag = 'latest';
  const canonical = `${name}${tag !== undefined ? `:${tag}` : ''}${digest !== undefined ? `@${digest}` : ''}`;
  return { registry, repository: path, tag, digest, name, canonical };
}

/** Docker's short form for display: `ubuntu:latest` for `docker.io/library/ubuntu:latest`. */
export function familiarName(ref: Reference): string {
  let name = ref.name;
  if (ref.registry === DEFAULT_REGISTRY) {
    name = ref.repository.startsWith('library/') ? ref.repository.slice(8) : ref.repository;
  }
  return ref.canonical.replace(ref.name, name);
}
