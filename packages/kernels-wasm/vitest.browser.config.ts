// Browser test: the kernels loaded through Vite in headless Chromium, with NO wasm-specific
// configuration (no plugins, no assetsInclude, no optimizeDeps): the package must locate its
// modules by itself (`new URL('../wasm/…', import.meta.url)` in src/module-source.ts).
// Uses the system Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH); never downloads one.
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  test: {
    include: ['test/browser/*.browser.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    browser: {
      enabled: true,
      headless: true,
      // No failure screenshots: they would land in test/browser/__screenshots__ (the error text says enough).
      screenshotFailures: false,
      provider: playwright({
        launchOptions: {
          executablePath,
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      }),
      instances: [{ browser: 'chromium' }],
    },
  },
});
