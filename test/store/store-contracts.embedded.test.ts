import { embeddedStores } from '../support/store-backends';
import { storeContracts } from './contracts/all-store-contracts';

// The production stores on the embedded PGlite the bot opens without DATABASE_URL, against the contract real
// PostgreSQL (store-contracts.postgres.test.ts) and the in-memory fakes (store-contracts.memory.test.ts) pass.
storeContracts(embeddedStores());
