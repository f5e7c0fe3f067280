import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** The core never imports Slack: listeners translate, services decide. */
const NO_SLACK = { group: ['@slack/*', '**/slack/**'], message: 'The core never imports Slack: listeners translate, services decide.' };
/** Entity types and the store interfaces (ports) live in src/domain/; store/ implements them. */
const NO_STORE = {
  group: ['**/store', '**/store/**'],
  message: 'Import entity types and store interfaces from src/domain/; only a composition root constructs a store.',
};
/** A composition root (src/app.ts and its wiring steps in src/app/, and a test or bench building one) may construct stores, nothing more. */
const STORE_FACTORIES_ONLY = {
  group: ['**/store', '**/store/**'],
  importNamePattern: '^(?!(create\\w+Stores?|createMemoryDatabase|openDatabase|migrate|MIGRATIONS|Database|MemoryDatabase)$)',
  message: 'Only store factories (the in-memory fakes included), openDatabase, migrate and the Database handle may come from store/; types come from src/domain/.',
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
  { files: ['src/app.ts', 'src/app/**', 'src/playground/empty-database.ts', 'test/**', 'bench/**'], rules: restrict(STORE_FACTORIES_ONLY) },
  { files: ['src/postmortem/postmortem-cli.ts', 'src/reports/stats-cli.ts'], rules: restrict(NO_SLACK, STORE_FACTORIES_ONLY) },
);
