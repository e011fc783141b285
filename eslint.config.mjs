// ESLint for every workspace's TypeScript (the Grafana app in plugin/ keeps Grafana's own config
// and runs its own lint). Rules that would need type information are left out: `npm run lint`
// stays a few seconds on two cores, and `tsc --noEmit` already checks types. Formatting is
// Prettier's (.prettierrc.json), so eslint-config-prettier turns stylistic rules off.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['**/node_modules/', 'plugin/', '.data/', '**/dist/', '**/testdata/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.node,
    },
    rules: {
      // `_name` marks a parameter kept for its position (callbacks, interface shapes).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // `{}` is the empty default of a generic options bag (contract's family<..., E = {}>), not "any value".
      '@typescript-eslint/no-empty-object-type': ['error', { allowObjectTypes: 'always' }],
    },
  },
  {
    // Tests read untyped JSON answers and build deliberately malformed inputs.
    files: ['**/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // The fake SMTP server answers each verb in one line: `(mail.from = line), reply('250 OK')`.
    files: ['prometheus/test/helpers.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off' },
  },
  {
    // Logins are checked byte by byte: the policy's LOGIN pattern refuses control characters and
    // the identity header's decoder tests for bytes above \xff, both by naming the ranges.
    files: ['scope-proxy/src/policy.ts', 'scope-proxy/src/identity.ts'],
    rules: { 'no-control-regex': 'off' },
  },
);
