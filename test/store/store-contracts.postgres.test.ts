import { POSTGRES_STORES } from '../support/store-backends';
import { storeContracts } from './contracts/all-store-contracts';

// The production stores against the contract the in-memory fakes also pass (store-contracts.memory.test.ts).
storeContracts(POSTGRES_STORES);
