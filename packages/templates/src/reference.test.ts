import { describe, expect, it } from 'vitest';
import { familiarName, parseReference } from './reference.ts';

const D = `sha256:${'a'.repeat(64)}`;

describe('parseReference', () => {
  it.each([
    ['ubuntu', 'docker.io/library/ubuntu:latest'],
    ['ubuntu:22.04', 'docker.io/library/ubuntu:22.04'],
    ['library/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['docker/sandbox-templates:claude-code', 'docker.io/docker/sandbox-templates:claude-code'],
    ['docker.io/ubuntu', 'docker.io/library/ubuntu:latest'],
    ['index.docker.io/library/ubuntu:1', 'docker.io/library/ubuntu:1'],
    ['localhost/img', 'localhost/img:latest'],
    ['localhost:5000/team/img:v1', 'localhost:5000/team/img:v1'],
    ['127.0.0.1:5000/a/b/c:x_Y.z-1', '127.0.0.1:5000/a/b/c:x_Y.z-1'],
    ['[::1]:5000/img', '[::1]:5000/img:latest'],
    ['ghcr.io/org/repo', 'ghcr.io/org/repo:latest'],
    ['Registry/repo', 'Registry/repo:latest'],
    ['a__b-c--d/e.f', 'docker.io/a__b-c--d/e.f:latest'],
    [`ubuntu@${D}`, `docker.io/library/ubuntu@${D}`],
    [`ubuntu:22.04@${D}`, `docker.io/library/ubuntu:22.04@${D}`],
    [`localhost:5000/img@${D}`, `localhost:5000/img@${D}`],
    ['localhost:5000', 'docker.io/library/localhost:5000'],
  ])('%s -> %s', (input, canonical) => {
    expect(parseReference(input).canonical).toBe(canonical);
  });

  it('splits the parts', () => {
    expect(parseReference('localhost:5000/team/img:v1')).toEqual({
      registry: 'localhost:5000',
      repository: 'team/img',
      tag: 'v1',
      digest: undefined,
      name: 'localhost:5000/team/img',
      canonical: 'localhost:5000/team/img:v1',
    });
  });

  it.each([
    ['', 'invalid image reference "": it is empty'],
    [' ubuntu', 'invalid image reference " ubuntu": it has leading or trailing spaces'],
    ['Ubuntu', 'invalid image reference "Ubuntu": repository names must be lowercase'],
    [
      'ubuntu:',
      'invalid image reference "ubuntu:": tag "" must be 1-128 of [A-Za-z0-9_.-], not starting with . or -',
    ],
    [
      'ubuntu:-x',
      'invalid image reference "ubuntu:-x": tag "-x" must be 1-128 of [A-Za-z0-9_.-], not starting with . or -',
    ],
    [
      `ubuntu:${'t'.repeat(129)}`,
      `invalid image reference "ubuntu:${'t'.repeat(129)}": tag "${'t'.repeat(129)}" must be 1-128 of [A-Za-z0-9_.-], not starting with . or -`,
    ],
    [
      'ubuntu@sha256:abc',
      'invalid image reference "ubuntu@sha256:abc": "sha256:abc" is not a digest (algorithm:hex)',
    ],
    [
      `ubuntu@sha256:${'A'.repeat(64)}`,
      `invalid image reference "ubuntu@sha256:${'A'.repeat(64)}": a sha256 digest is 64 lowercase hex characters`,
    ],
    ['a//b', 'invalid image reference "a//b": the repository path has an empty component'],
    ['a/', 'invalid image reference "a/": the repository path has an empty component'],
    [':tag', 'invalid image reference ":tag": the repository name is missing'],
    [
      '-a/b',
      'invalid image reference "-a/b": "-a" is not a valid repository component ([a-z0-9] separated by . _ __ -)',
    ],
    [
      'a/b_',
      'invalid image reference "a/b_": "b_" is not a valid repository component ([a-z0-9] separated by . _ __ -)',
    ],
    [
      'a/b___c',
      'invalid image reference "a/b___c": "b___c" is not a valid repository component ([a-z0-9] separated by . _ __ -)',
    ],
    ['-bad.io/a', 'invalid image reference "-bad.io/a": "-bad.io" is not a valid registry host'],
    [
      `a/${'b'.repeat(260)}`,
      `invalid image reference "a/${'b'.repeat(260)}": the name is longer than 255 characters`,
    ],
  ])('rejects %j', (input, message) => {
    expect(() => parseReference(input)).toThrow(message);
  });

  it('carries the stable code', () => {
    expect(() => parseReference('UP')).toThrow(
      expect.objectContaining({ code: 'SBX_TEMPLATES_INVALID_REFERENCE' }),
    );
  });

  it.each([
    ['ubuntu', 'ubuntu:latest'],
    ['docker/sandbox-templates:claude-code', 'docker/sandbox-templates:claude-code'],
    ['localhost:5000/img:v1', 'localhost:5000/img:v1'],
  ])('familiar name of %s is %s', (input, familiar) => {
    expect(familiarName(parseReference(input))).toBe(familiar);
  });
});
