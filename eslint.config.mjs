import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The core never imports Slack: listeners translate, services decide.
    files: ['src/alerts/**', 'src/incidents/**', 'src/runbooks/**', 'src/probes/**', 'src/remediations/**', 'src/postmortem/**', 'src/store/**', 'src/coordination/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@slack/*', '**/slack/**'] }] },
  },
);
