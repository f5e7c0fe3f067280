import { MEMORY_STORES } from '../support/store-backends';
import { storeContracts } from './contracts/all-store-contracts';

// The in-memory fakes (src/store/fakes/) against the contract the PostgreSQL stores pass (store-contracts.postgres.test.ts).
storeContracts(MEMORY_STORES);
