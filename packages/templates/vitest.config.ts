import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'templates',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Unpacking and the real registry and dockerd are I/O-bound; a busy 2-core CI needs slack.
    testTimeout: 30_000,
    hookTimeout: 90_000,
  },
});
