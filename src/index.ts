/**
 * The public face of `omniscient-actors`: the actor kinds, the container, the in-memory store, the event
 * types and the error classes. Storage engines that need a driver have their own entry points
 * (`omniscient-actors/sqlite`); the test DSL is `omniscient-actors/testing`.
 */
export { Actor } from './actors/actor.js';
export { LiveActor } from './actors/live-actor.js';
export { OneActor } from './actors/one-actor.js';
export { TickActor, type MissedTicks, type TickData } from './actors/tick-actor.js';
export type { ActorCore, ChangeListener, EventOf, FireData, Handlers } from './actors/actor-core.js';
export { MAX_UPCAST_STEPS, type UpcastEvent, type Upcaster, type Upcasters } from './actors/upcasting.js';
export {
  createContainer,
  consoleLogger,
  systemClock,
  type Clock,
  type Container,
  type ContainerOptions,
  type ErrorContext,
  type ErrorHook,
  type Logger,
  type LogLevel,
} from './container.js';
export { memoryStore } from './engines/memory/memory-store.js';
export type {
  AppendOptions,
  AppendResult,
  EventNotification,
  EventStore,
  NewSnapshot,
  NotificationListener,
  ExpectedVersion,
  Lease,
  LeaseAnswer,
  LeaseOptions,
  LeaseRenewal,
  LeaseState,
  LeaseStore,
  ListStreamsOptions,
  ReadAllOptions,
  ReadStreamOptions,
  Snapshot,
  StoreLimits,
  StoreOptions,
  StreamInfo,
  SubscribeOptions,
  Subscription,
} from './engines/engine.js';
export type { EventMap, EventMeta, JsonValue, NewEvent, StoredEvent } from './events/envelope.js';
export { DEFAULT_MAX_EVENT_BYTES } from './events/json-data.js';
export { MAX_EVENT_NAME_LENGTH, MAX_STREAM_ID_LENGTH } from './events/names.js';
export {
  ConcurrencyError,
  CorruptEventError,
  DuplicateEventError,
  FencedError,
  HandlerError,
  InvalidActorIdError,
  InvalidEventError,
  MissingServiceError,
  OmniscientError,
  StoreUnavailableError,
  UsageError,
  type ErrorCode,
} from './errors.js';
export { AssertionError } from './testing/assertion-error.js';
