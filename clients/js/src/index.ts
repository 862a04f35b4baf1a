// @passion-edge/client: the typed client of the Passion Edge API, its sync engine and offline queue.
export type { paths, components } from "./schema";
export { createClient } from "./client";
export type { ClientOptions, DataOf, PassionClient, Schemas, Session } from "./client";
export { ApiError, NetworkError } from "./errors";
export type { ErrorType } from "./errors";
export { newId } from "./id";
export { indexedDbStorage, memoryStorage } from "./queue";
export type { QueueStorage, QueuedWrite, WriteMethod } from "./queue";
export { createSync } from "./sync";
export type { Award, Entity, EntityData, Progress, Queued, Sync, SyncItems, SyncOptions, SyncState } from "./sync";
