import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'sandboxd',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
  },
});
