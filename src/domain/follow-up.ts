import type { Queryable } from './queryable';

export type FollowUpStatus = 'open' | 'done';
export type FollowUpSource = 'command' | 'postmortem';

export interface FollowUp {
  id: number;
  incidentId: string;
  text: string;
  /** A Slack user id; null: nobody owns it yet. */
  owner: string | null;
  status: FollowUpStatus;
  dueAt: Date;
  source: FollowUpSource;
  createdBy: string;
  createdAt: Date;
  doneAt: Date | null;
  doneBy: string | null;
  lastRemindedAt: Date | null;
  /** The GitHub issue it was exported to. */
  externalUrl: string | null;
}

export interface NewFollowUp {
  incidentId: string;
  text: string;
  owner?: string;
  dueAt: Date;
  source: FollowUpSource;
  /** What it was made from (a post-mortem action item's key); one follow-up per key and incident. */
  sourceKey?: string;
  createdBy: string;
  createdAt: Date;
}

export interface FollowUpFilter {
  incidentId?: string;
  owner?: string;
  status?: FollowUpStatus;
}

export interface FollowUpStore {
  /** Inserts; with a `sourceKey` already used for the incident, returns that follow-up instead (`created: false`). */
  insert(f: NewFollowUp, tx?: Queryable): Promise<FollowUp & { created: boolean }>;
  get(id: number): Promise<FollowUp | null>;
  list(filter: FollowUpFilter, limit: number): Promise<FollowUp[]>;
  /** Open → done; null when it was not open. */
  markDone(id: number, by: string, at: Date): Promise<FollowUp | null>;
  /**
   * Open follow-ups past their due date not reminded since `remindedBefore`, marked reminded at `now` in the same
   * statement: each reminder goes out once whatever the number of replicas.
   */
  claimOverdue(now: Date, remindedBefore: Date, limit: number): Promise<FollowUp[]>;
  /** Claims the export (not exported, no export in progress since `staleBefore`); false: someone else has it. */
  claimExport(id: number, now: Date, staleBefore: Date): Promise<boolean>;
  finishExport(id: number, url: string | null): Promise<void>;
}
