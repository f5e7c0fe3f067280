import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The core never imports Slack: listeners translate, services decide. */
const NO_SLACK = { group: ['@slack/*', '**/slack/**'], message: 'The core never imports Slack: listeners translate, services decide.' };
/** Entity types and the store interfaces (ports) live in src/domain/; store/ implements them. */
const NO_STORE = {
  group: ['**/store', '**/store/**'],
  message: 'Import entity types and store interfaces from src/domain/; only a composition root constructs a store.',
};
/** A composition root (src/app.ts and its wiring steps in src/app/) may construct stores, nothing more: every type, the Database handle's included, is in src/domain/. */
const STORE_FACTORIES_ONLY = {
  group: ['**/store', '**/store/**'],
  importNamePattern: '^(?!(create\\w+Stores?|createMemoryDatabase|openDatabase|migrate|MIGRATIONS)$)',
  message: 'Only store factories (the in-memory fakes included), openDatabase and migrate may come from store/; types come from src/domain/.',
};
/** Tests and benches building a root may also name the handle and the fake through store/. */
const STORE_FACTORIES_FOR_TESTS = {
  ...STORE_FACTORIES_ONLY,
  importNamePattern: '^(?!(create\\w+Stores?|createMemoryDatabase|openDatabase|migrate|MIGRATIONS|Database|MemoryDatabase)$)',
};
const CORE = ['src/alerts/**', 'src/incidents/**', 'src/runbooks/**', 'src/probes/**', 'src/remediations/**', 'src/postmortem/**', 'src/coordination/**'];
const COMPOSITION_ROOTS = ['src/app.ts', 'src/app/**', 'src/postmortem/postmortem-cli.ts', 'src/playground/empty-database.ts', 'src/reports/stats-cli.ts'];
const restrict = (...patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
      // Prettier wraps code at 140 (.prettierrc.json); strings, URLs and patterns it cannot wrap are the exceptions.
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
    },
  },
  // A function a reader can hold in their head: factories compose named builders instead of growing one closure.
  { files: ['src/**'], rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] } },
  // Later entries replace the rule's options for the files they match, so each names every pattern that applies.
  { files: ['src/**'], ignores: ['src/store/**', ...COMPOSITION_ROOTS], rules: restrict(NO_STORE) },
  { files: CORE, ignores: COMPOSITION_ROOTS, rules: restrict(NO_SLACK, NO_STORE) },
  { files: ['src/store/**'], rules: restrict(NO_SLACK) },
  { files: ['src/app.ts', 'src/app/**', 'src/playground/empty-database.ts'], rules: restrict(STORE_FACTORIES_ONLY) },
  { files: ['test/**', 'bench/**'], rules: restrict(STORE_FACTORIES_FOR_TESTS) },
  { files: ['src/postmortem/postmortem-cli.ts', 'src/reports/stats-cli.ts'], rules: restrict(NO_SLACK, STORE_FACTORIES_ONLY) },
);
