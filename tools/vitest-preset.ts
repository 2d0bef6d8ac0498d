// Shared vitest settings: resolve workspace packages to their TypeScript sources
// (the "@x/source" export condition), so tests never need a prior build.
import { defineConfig, type ViteUserConfig } from 'vitest/config';

const conditions = ['@x/source', 'module', 'node', 'import', 'default'];

export function createVitestConfig(overrides: ViteUserConfig['test'] = {}): ViteUserConfig {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 120_000,
      hookTimeout: 120_000,
      pool: 'forks',
      ...overrides,
    },
  });
}
