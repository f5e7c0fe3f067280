import { POSTGRES_STORES } from '../support/store-backends';
import { storeContracts } from './contracts/all-store-contracts';

// The production stores on real PostgreSQL against the contract the in-memory fakes (store-contracts.memory.test.ts)
// and the embedded PGlite (store-contracts.embedded.test.ts) also pass.
storeContracts(POSTGRES_STORES);
