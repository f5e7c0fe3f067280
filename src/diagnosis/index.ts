export {
  runDiagnosis,
  DEFAULT_PROBE_TIMEOUT_MS,
  DEFAULT_DEADLINE_MS,
  type DiagnosisOptions,
  type DiagnosisResult,
  type PendingProbe,
  type LikelyCause,
  type OfferedRemediation,
} from './run-diagnosis';
export { createDiagnosisMetrics, type DiagnosisMetrics } from './metrics';
export { formatDiagnosisText } from './format-text';
export { labelsOfAlert } from './alert-labels';
export { createDiagnosisRecorder, diagnosisEventData, type DiagnosisPlace } from './record-diagnosis';
