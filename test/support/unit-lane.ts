// Loaded by jest.unit.config.js before each test file: no PostgreSQL server in this lane, so a test database is PGlite.
process.env.INCIDENT_BOT_TEST_DATABASE = 'pglite';
// Service tests that take their stores from SERVICE_STORES (test/support/store-backends.ts) get the in-memory fakes.
process.env.INCIDENT_BOT_TEST_STORES = 'memory';
