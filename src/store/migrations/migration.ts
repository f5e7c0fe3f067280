export interface Migration {
  /** Sortable, never renamed once shipped. */
  id: string;
  sql: string;
}
