export interface PostmortemDraft {
  incidentId: string;
  version: number;
  markdown: string;
  createdBy: string;
  createdAt: Date;
}

export interface PostmortemStore {
  /**
   * Stores the next version (1, 2, …) for the incident. `render` gets the version number so the draft can name
   * itself; drafts of one incident are numbered one at a time (a transaction-scoped advisory lock), across replicas.
   */
  saveNext(draft: { incidentId: string; createdBy: string; createdAt: Date; render: (version: number) => string }): Promise<PostmortemDraft>;
  latest(incidentId: string): Promise<PostmortemDraft | null>;
  /** The channel's incidents, newest first: what `/incident postmortem` without an ID chooses from. */
  recentIncidentsInChannel(channelId: string, limit: number): Promise<ChannelIncident[]>;
}

export interface ChannelIncident {
  id: string;
  title: string;
  severity: string;
  status: string;
  createdAt: Date;
  threadTs: string | null;
}
