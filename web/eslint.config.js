// ESLint (pinned in package-lock.json), run by scripts/test.sh: the recommended rules for the pages' ES modules,
// browser globals in src/, Node's in the build script and the unit tests.
import js from '@eslint/js';
import globals from 'globals';

export default [
  { ignores: ['static/**', 'node_modules/**'] },
  js.configs.recommended,
  {
    files: ['src/**/*.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.browser } },
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
      eqeqeq: ['error', 'smart'], 'prefer-const': 'error', 'no-var': 'error',
    },
  },
  {
    files: ['src/sw.js'],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ['build.mjs', 'test/**/*.mjs', 'eslint.config.js'],
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
  },
];
