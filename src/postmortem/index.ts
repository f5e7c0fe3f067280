export {
  createPostmortemService,
  postmortemSummary,
  type PostmortemService,
  type PostmortemServiceDeps,
  type PostmortemDraftResult,
  type PostmortemStats,
} from './postmortem-service';
export {
  loadPostmortemTemplate,
  validatePostmortemTemplate,
  renderPostmortem,
  POSTMORTEM_VARIABLES,
  POSTMORTEM_TEMPLATE_FILE,
} from './postmortem-template';
export { buildPostmortemFacts, figuresOf, peakValues, type PostmortemFacts, type TimelineEntry, type PeakValue } from './postmortem-facts';
export { extractStatements, type Statement, type StatementKind } from './extract';
export { mrkdwnToMarkdown, defuseMentions } from './mrkdwn-to-markdown';
export { messagePermalink, tsToDate, type ThreadReader, type ThreadContents, type ThreadMessage } from './thread-reader';
