import { defineConfig } from '@playwright/test';

// The server is started by scripts/test.sh; JUNCTION_BASE_URL says where.
export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1, // two cores: the server and one browser
  retries: 0,
  reporter: 'list',
  use: {
    baseURL: process.env.JUNCTION_BASE_URL ?? 'http://127.0.0.1:3000',
    trace: 'off',
    testIdAttribute: 'data-test',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
