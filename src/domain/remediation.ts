export type Risk = 'low' | 'medium' | 'high';

/**
 * The dry run: exactly what `execute` will act on. Stored with the request (JSON), shown to the approver, and the
 * only input `execute` acts on — never a fresh search.
 */
export interface RemediationPreview<D = unknown> {
  /** One line: "restart container worker-marie (exited 137, started 10:02:11Z)". */
  summary: string;
  /** One line per thing acted on: containers, backends (pid, age, query), keys, files, matchers. */
  items: string[];
  /**
   * What a cooldown / max-runs limit counts per: the same subject on the same target shares one budget
   * ("container worker-marie"). Derived from the rendered params, never from free text.
   */
  subject: string;
  /** Nothing to act on (no backend matches, no key exists): the service does not create a request. */
  empty: boolean;
  /** What `execute` needs to recognise exactly the previewed things (ids, pids with start times, mtimes). JSON only. */
  data: D;
}

export interface ExecutionResult {
  /** One line: "terminated 1 of 1 backends". */
  summary: string;
  items: string[];
  data?: unknown;
}

export interface Verification {
  /** `skipped`: nothing independent to check (the action's own answer is the evidence). */
  status: 'passed' | 'failed' | 'skipped';
  summary: string;
  data?: unknown;
}
