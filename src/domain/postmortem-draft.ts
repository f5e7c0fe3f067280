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
  saveNext(draft: {
    incidentId: string;
    createdBy: string;
    createdAt: Date;
    render: (version: number) => string;
  }): Promise<PostmortemDraft>;
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

export type ActionItemDecision = 'confirmed' | 'dropped';

/** An action item a draft found, and what people decided about it in Slack. */
export interface PostmortemActionItem {
  incidentId: string;
  /** 16 hex characters: the commitment's message and owner, the same in every draft version. */
  key: string;
  text: string;
  /** The owner's Slack user id when the thread tells who they are, else the name written in the thread. */
  owner: string | null;
  link: string;
  firstVersion: number;
  decision: ActionItemDecision | null;
  decidedBy: string | null;
  decidedAt: Date | null;
}

export interface PostmortemActionItemStore {
  /** Records the candidates of a draft: new ones are added, known ones keep their decision (their text is refreshed). */
  saveCandidates(
    incidentId: string,
    version: number,
    items: ReadonlyArray<{ key: string; text: string; owner: string | null; link: string }>,
  ): Promise<PostmortemActionItem[]>;
  /** Sets the decision; null when the incident has no such item. A later click changes it (people change their minds). */
  decide(incidentId: string, key: string, decision: ActionItemDecision, by: string, at: Date): Promise<PostmortemActionItem | null>;
  list(incidentId: string): Promise<PostmortemActionItem[]>;
}
