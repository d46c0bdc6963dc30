// Lint: type-aware rules (no floating promises), no import cycles, and workflow code kept deterministic
// (no Node built-ins, no activity, tfjs or S3 code in workflows/ except as types).
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.state/**', '.scratch/**', 'conversion/zoo/models/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname } },
    plugins: { 'import-x': importX },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-explicit-any': 'warn',
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['node:*', 'fs', 'path', 'os', 'crypto', 'child_process'], message: 'workflow code must be deterministic: no Node built-ins' },
          { group: ['@tensorflow/*', '@aws-sdk/*', 'sharp', '@temporalio/worker', '@temporalio/client', '@temporalio/activity'], message: 'workflows use activities for I/O' },
          { group: ['../activities/*', '../infra/*', '../datasets/*'], allowTypeImports: true, message: 'import activities as types only' },
        ],
      }],
    },
  },
);
