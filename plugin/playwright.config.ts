import type { PluginOptions } from '@grafana/plugin-e2e';
import { defineConfig, devices } from '@playwright/test';
import { dirname } from 'node:path';

// End-to-end tests against a running Grafana with Paywatch provisioned (the root
// docker-compose.yml, `npm start`, or any GRAFANA_URL). See README.md "End-to-end tests".
// They never download a browser: they drive the system Chromium (Debian's /usr/bin/chromium, or
// CHROMIUM_PATH). Not part of `npm run test:ci`, which must pass on machines without Grafana.
const pluginE2eAuth = `${dirname(require.resolve('@grafana/plugin-e2e'))}/auth`;
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const launchOptions = {
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
};
const admin = {
  user: process.env.GRAFANA_ADMIN_USER || 'admin',
  password: process.env.GRAFANA_ADMIN_PASSWORD || 'admin',
};
const branchManager = {
  user: process.env.PAYWATCH_E2E_BM_USER || 'meera.bm',
  password: process.env.PAYWATCH_E2E_BM_PASSWORD || process.env.PAYWATCH_DEMO_PASSWORD || 'paywatch-demo', // access sync's demo password
  role: 'Viewer' as const,
};

export default defineConfig<PluginOptions>({
  testDir: './tests',
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 2 : 0,
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    baseURL: process.env.GRAFANA_URL || 'http://localhost:3000',
    // The Grafana server admin: logs in, and creates the branch manager if they do not exist yet.
    grafanaAPICredentials: admin,
    trace: 'on-first-retry',
    launchOptions,
  },
  projects: [
    // 1. Log in as the admin and store the cookie for the admin tests.
    { name: 'auth', testDir: pluginE2eAuth, testMatch: [/.*\.js/], use: { user: admin, launchOptions } },
    // 2. Log in as a branch manager (created with the password above if absent).
    {
      name: 'auth-branch-manager',
      testDir: pluginE2eAuth,
      testMatch: [/.*\.js/],
      use: { user: branchManager, launchOptions },
    },
    {
      name: 'admin',
      testDir: './tests/admin',
      use: { ...devices['Desktop Chrome'], launchOptions, user: admin, storageState: 'playwright/.auth/admin.json' },
      dependencies: ['auth'],
    },
    {
      name: 'branch-manager',
      testDir: './tests/branch-manager',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions,
        user: branchManager,
        storageState: `playwright/.auth/${branchManager.user}.json`,
      },
      dependencies: ['auth-branch-manager'],
    },
  ],
});
