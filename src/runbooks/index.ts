export { runbookFileSchema, type RunbookFile } from './catalog-schema';
export {
  loadCatalog,
  catalogSecrets,
  parseRunbook,
  formatProblem,
  CatalogError,
  assumedProbes,
  isExampleDomain,
  type CatalogOptions,
  type DashboardLink,
  type Catalog,
  type CatalogProblem,
  type Runbook,
  type AlertEntry,
  type ProbeDefinition,
  type CauseEntry,
  type RemediationEntry,
} from './loader';
export { findAlert, knownAlert, allAlertNames, closestAlertNames, editDistance, type AlertLookup } from './alert-lookup';
export { catalogJsonSchema, catalogJsonSchemaText } from './write-json-schema';
export { allowListProblems } from './allow-list-report';
