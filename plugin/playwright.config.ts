import type { PluginOptions } from '@grafana/plugin-e2e';
import { defineConfig, devices } from '@playwright/test';
import { dirname } from 'node:path';

// End-to-end tests against a running Grafana (the root docker-compose.yml, or any GRAFANA_URL).
// They never download a browser: they drive the system Chromium (Debian's /usr/bin/chromium, or
// CHROMIUM_PATH). Not part of `npm run test:ci`, which must pass on machines without Grafana.
const pluginE2eAuth = `${dirname(require.resolve('@grafana/plugin-e2e'))}/auth`;
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export default defineConfig<PluginOptions>({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 2 : 0,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: process.env.GRAFANA_URL || 'http://localhost:3000',
    // plugin-e2e logs in with these (the `auth` project); defaults are Grafana's admin/admin.
    user: {
      user: process.env.GRAFANA_ADMIN_USER || 'admin',
      password: process.env.GRAFANA_ADMIN_PASSWORD || 'admin',
    },
    trace: 'on-first-retry',
    launchOptions: {
      executablePath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    },
  },
  projects: [
    // 1. Log in to Grafana and store the cookie on disk for use in other tests.
    {
      name: 'auth',
      testDir: pluginE2eAuth,
      testMatch: [/.*\.js/],
      use: { launchOptions: { executablePath, args: ['--no-sandbox', '--disable-gpu'] } },
    },
    // 2. Run the tests in Chromium, authenticated as the admin user.
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: { executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] },
        storageState: 'playwright/.auth/admin.json',
      },
      dependencies: ['auth'],
    },
  ],
});
