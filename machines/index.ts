/** The pure machines and the plain functions beside them; the runtime imports from here. */
export { createAccountMachine, noConnection, type AccountMachine, type AccountMachineDeps } from './account.machine.js';
export {
  ACCOUNT_STATES,
  accountStateOf,
  type AccountContext,
  type AccountInput,
  type AccountMachineEvent,
  type AccountStateValue,
  type ConnectionActorEvent,
  type ConnectionInput,
  type ConnectionMode,
  type LastClose,
  type LinkedIdentity,
} from './account.types.js';
export {
  DEFAULT_RECONNECT_POLICY,
  MAX_TIMER_MS,
  backoffDelay,
  normalizeReconnectPolicy,
  type ReconnectPolicy,
} from './backoff.js';
export {
  classifyClose,
  classifyEnd,
  classifySendError,
  type CloseClassification,
  type CloseKind,
  type ConnectionClose,
  type SendErrorKind,
} from './close-codes.js';
export { accountMachineGraph, type GraphEdge, type MachineGraph } from './account.graph.js';
