// force timezone to UTC to allow tests to work regardless of local timezone
// generally used by snapshots, but can affect specific tests
process.env.TZ = 'UTC';

const base = require('./.config/jest.config');
const swc = base.transform['^.+\\.(t|j)sx?$'];

module.exports = {
  // Jest configuration provided by Grafana scaffolding
  ...base,
  // Generous: CI machines are 2 cores shared with other suites; @grafana/ui alone takes seconds to load.
  testTimeout: 30_000,
  moduleNameMapper: {
    ...base.moduleNameMapper,
    // jsdom resolves the "browser" build of yaml (ES modules); the generator runs in Node, use that build.
    '^yaml$': require.resolve('yaml'),
  },
  transform: {
    ...base.transform,
    // Grafana 12's d3 dependencies ship .mjs files; transform them like the other ES modules.
    '^.+\\.mjs$': swc,
  },
};
