/** The pure machines and the plain functions beside them; the runtime imports from here. */
export { createAccountMachine, type AccountMachine, type AccountMachineDeps } from './account.machine.js';
export {
  ACCOUNT_STATES,
  type AccountContext,
  type AccountIdentity,
  type AccountInput,
  type AccountMachineEvent,
  type AccountStateValue,
  type ConnectionMode,
  type LastClose,
} from './account.types.js';
export {
  DEFAULT_RECONNECT_POLICY,
  MAX_TIMER_MS,
  backoffDelay,
  normalizeReconnectPolicy,
  type ReconnectPolicy,
} from './backoff.js';
export { classifyClose, type CloseClassification, type CloseKind } from './close-codes.js';
