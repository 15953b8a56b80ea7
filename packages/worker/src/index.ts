// @costline/worker: the process that runs background jobs from BullMQ (see main.ts), and its parts for tests.
export * as HealthServer from "./HealthServer.ts"
export * as Worker from "./Worker.ts"
export { parseWorkerConfig, type WorkerConfig } from "./WorkerConfig.ts"
export { WorkerMetrics } from "./WorkerMetrics.ts"
