export type { Scenario, ScenarioEvent, ScenarioParticipant, SpeechPattern } from './content/scenario.js';
export { FAULT_NAMES, type Fault, type FaultType, parseFault, type ScheduledFault } from './faults.js';
export type {
  FrameMode,
  KeepAliveMode,
  SimulatorCredentials,
  SimulatorOptions,
  StreamOptions,
} from './options.js';
export type { SimulatorReport, StreamReport } from './report.js';
export {
  type SimLogEntry,
  type SimStreamInfo,
  Simulator,
  type SimulatorEvents,
  type WebhookNotice,
} from './Simulator.js';
export type { WebhookAttempt } from './webhookSender.js';
