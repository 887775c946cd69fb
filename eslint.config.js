// Lint runs as part of `npm test`; type-aware rules catch floating promises, which in a daemon that
// owns serial ports and a database are the usual source of lost errors.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tmp/**', 'src/dashboard/assets/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/require-await': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'fs',
                'path',
                'crypto',
                'events',
                'stream',
                'net',
                'http',
                'os',
                'url',
                'util',
                'zlib',
                'worker_threads',
                'timers',
                'timers/promises',
                'child_process',
              ],
              message: 'Use the node: prefix.',
            },
            // src/ folders have no index.ts: a module is imported from the file that defines it (docs/architecture.md, Folders).
            {
              group: ['**/src/*/index.js', '**/src/*/index', '../*/index.js', './index.js'],
              message: 'Import from the file that defines it; src/ folders have no index.ts barrels.',
            },
          ],
        },
      ],
    },
  },
  {
    // Production code never depends on the simulator: it is wired from outside (jig-sim/main.ts).
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'fs',
                'path',
                'crypto',
                'events',
                'stream',
                'net',
                'http',
                'os',
                'url',
                'util',
                'zlib',
                'worker_threads',
                'timers',
                'timers/promises',
                'child_process',
              ],
              message: 'Use the node: prefix.',
            },
            { group: ['**/jig-sim', '**/jig-sim/**'], message: 'src/ must not import the simulator; wire it from jig-sim (see docs/architecture.md).' },
            { group: ['../*/index.js', './index.js'], message: 'Import from the file that defines it; src/ folders have no index.ts barrels.' },
          ],
        },
      ],
    },
  },
  {
    // SQL row types stay in store/: everyone else gets the records of src/records (docs/architecture.md).
    files: ['src/**/*.ts', 'test/**/*.ts', 'jig-sim/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'fs',
                'path',
                'crypto',
                'events',
                'stream',
                'net',
                'http',
                'os',
                'url',
                'util',
                'zlib',
                'worker_threads',
                'timers',
                'timers/promises',
                'child_process',
              ],
              message: 'Use the node: prefix.',
            },
            {
              group: ['**/src/*/index.js', '**/src/*/index', '../*/index.js', './index.js'],
              message: 'Import from the file that defines it; src/ folders have no index.ts barrels.',
            },
            {
              group: ['**/store/flash-rows.js', '**/store/work-order-records.js'],
              message: 'SQL rows are private to src/store; use the records in src/records.',
            },
          ],
        },
      ],
    },
  },
  {
    // Production code never depends on the simulator (repeated here: the block above replaces the rule for src/).
    files: ['src/**/*.ts'],
    ignores: ['src/store/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'fs',
                'path',
                'crypto',
                'events',
                'stream',
                'net',
                'http',
                'os',
                'url',
                'util',
                'zlib',
                'worker_threads',
                'timers',
                'timers/promises',
                'child_process',
              ],
              message: 'Use the node: prefix.',
            },
            { group: ['**/jig-sim', '**/jig-sim/**'], message: 'src/ must not import the simulator; wire it from jig-sim (see docs/architecture.md).' },
            { group: ['../*/index.js', './index.js'], message: 'Import from the file that defines it; src/ folders have no index.ts barrels.' },
            {
              group: ['**/store/flash-rows.js', '**/store/work-order-records.js'],
              message: 'SQL rows are private to src/store; use the records in src/records.',
            },
          ],
        },
      ],
    },
  },
  {
    // vitest's asymmetric matchers (expect.stringContaining, expect.any) are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-argument': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
