export { CloseCode, isSendableCloseCode } from './closeCodes.js';
export {
  type DecodeError,
  type DecodeErrorCode,
  type DecodeResult,
  decodeFrame,
  encodeMessage,
  type FrameData,
} from './codec.js';
export * from './defaults.js';
export * from './enums.js';
export * from './errors.js';
export { eventNumberOf } from './eventPayloads.js';
export * from './mediaRules.js';
export * from './mediaUrls.js';
export type * from './messages.js';
export { INSTANCE_ID_KEYS } from './messages.js';
export { interpreterOf, MAX_INTERPRETER_TARGETS } from './metadata.js';
export * from './oauth.js';
export * from './products.js';
export * from './recovery.js';
export * from './signature.js';
export * from './timing.js';
export * from './urlValidation.js';
export * from './webhookDelivery.js';
export * from './webhookSignature.js';
