import { describe, expect, it } from 'vitest';
import { isLoopback } from './client.ts';

describe('isLoopback (where plain HTTP is allowed without --insecure)', () => {
  it.each([
    ['localhost', true],
    ['localhost:5000', true],
    ['registry.localhost:5000', true],
    ['127.0.0.1', true],
    ['127.1.2.3:443', true],
    ['[::1]:5000', true],
    ['::1', true],
    ['localhost.example.com', false],
    ['127.0.0.1.example.com', false],
    ['10.0.0.1:5000', false],
    ['0.0.0.0:5000', false],
    ['[::ffff:127.0.0.1]:5000', false],
    ['registry.example.com', false],
  ])('%s -> %s', (host, want) => {
    expect(isLoopback(host)).toBe(want);
  });
});
