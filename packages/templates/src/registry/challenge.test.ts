import { describe, expect, it } from 'vitest';
import { parseChallenge } from './challenge.ts';

describe('parseChallenge', () => {
  it.each([
    [
      'Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"',
      {
        scheme: 'bearer',
        params: {
          realm: 'https://auth.example/token',
          service: 'registry.example',
          scope: 'repository:a/b:pull',
        },
      },
    ],
    ['Basic realm="Registry Realm"', { scheme: 'basic', params: { realm: 'Registry Realm' } }],
    [
      'Bearer realm=http://127.0.0.1:1/t, service=svc',
      { scheme: 'bearer', params: { realm: 'http://127.0.0.1:1/t', service: 'svc' } },
    ],
    [
      'Bearer realm="a\\"b",error="insufficient_scope"',
      { scheme: 'bearer', params: { realm: 'a"b', error: 'insufficient_scope' } },
    ],
  ])('%s', (header, want) => {
    expect(parseChallenge(header)).toEqual(want);
  });
});
