import type { StoreBackend } from '../../support/store-backends';
import { alertStoreContract } from './alert-store-contract';
import { auditStoreContract, postmortemStoreContract, processedEventStoreContract } from './small-store-contracts';
import { inboxStoreContract } from './inbox-store-contract';
import { incidentStoreContract, timelineStoreContract } from './incident-store-contract';
import { remediationStoreContract } from './remediation-store-contract';
import { followUpStoreContract, incidentRoomStoreContract, reportStoreContract } from './room-and-follow-up-contracts';
import { scheduledJobStoreContract } from './scheduled-job-store-contract';

/** Every store's contract: what the PostgreSQL stores promise, the in-memory fakes keep. */
export function storeContracts(backend: StoreBackend): void {
  alertStoreContract(backend);
  incidentStoreContract(backend);
  timelineStoreContract(backend);
  scheduledJobStoreContract(backend);
  remediationStoreContract(backend);
  auditStoreContract(backend);
  postmortemStoreContract(backend);
  processedEventStoreContract(backend);
  inboxStoreContract(backend);
  incidentRoomStoreContract(backend);
  followUpStoreContract(backend);
  reportStoreContract(backend);
}
