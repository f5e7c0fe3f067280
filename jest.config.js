/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }] },
  testTimeout: 30000,
  // Fails a test file whose bot logged an unhandled error in a Slack listener.
  setupFilesAfterEnv: ['<rootDir>/test/support/no-listener-errors.ts'],
};
