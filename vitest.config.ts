import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Tests import `faultline/*` like users do; the `faultline-source` export condition points those
// subpaths at `src/`, so a subpath missing from package.json#exports fails a test. Vite's own default
// conditions stay: replacing them made CJS dependencies (express's router) load ESM builds.
const source = 'faultline-source';

// Tiers, each runnable alone (`npm run test:<tier>`); `npm test` runs them all. Only the tiers whose
// tests run the built package or start processes that import it (`npx tsx`, the CLI, the packed
// tarball) build `dist/` first, once per run.
const browser = ['client-browser', 'format-browser', 'reference-page', 'ws-browser'].map(
  (name) => `test/e2e/${name}.test.ts`,
);
const redis = ['stores', 'stores-cluster', 'guards-redis', 'ws-redis'].map(
  (name) => `test/e2e/${name}.test.ts`,
);
const built = ['test/global-setup.ts'];

export default defineConfig({
  resolve: { conditions: [source, ...defaultClientConditions] },
  ssr: { resolve: { conditions: [source, ...defaultServerConditions], externalConditions: [source] } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    projects: [
      { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'types',
          include: [],
          typecheck: {
            enabled: true,
            only: true,
            include: ['src/**/*.test-d.ts', 'test/**/*.test-d.ts'],
            tsconfig: './tsconfig.json',
          },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/*.test.ts', 'test/e2e/**/*.test.ts'],
          exclude: [...browser, ...redis],
          globalSetup: built,
        },
      },
      { extends: true, test: { name: 'browser', include: browser, globalSetup: built } },
      { extends: true, test: { name: 'redis', include: redis, globalSetup: built } },
      {
        extends: true,
        test: { name: 'reliability', include: ['test/reliability/**/*.test.ts'], globalSetup: built },
      },
      { extends: true, test: { name: 'attack', include: ['test/attack/**/*.test.ts'], globalSetup: built } },
      { extends: true, test: { name: 'seeds', include: ['test/seeds/**/*.test.ts'], globalSetup: built } },
    ],
  },
});
