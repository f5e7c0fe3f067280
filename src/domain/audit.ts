export interface AuditEntry {
  id: number;
  at: Date;
  actor: string;
  action: string;
  subject: string;
  incidentId: string | null;
  data: Record<string, unknown>;
}

/** The append-only audit log: the database refuses UPDATE, DELETE and TRUNCATE on it. */
export interface AuditStore {
  append(entry: {
    actor: string;
    action: string;
    subject: string;
    incidentId?: string;
    data?: Record<string, unknown>;
    at?: Date;
  }): Promise<AuditEntry>;
  list(filter: { incidentId?: string; subject?: string; limit?: number }): Promise<AuditEntry[]>;
}
