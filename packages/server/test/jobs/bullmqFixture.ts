// The production profile's job stack for the BullMQ tests: the queue on the test database and a Redis prefix of its
// own, and BullMQ workers in the test process running the given processors for as long as a test provides them.
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import * as BullMQWorkers from "@costline/server/jobs/BullMQWorkers"
import { JobProcessors, type ProcessorRegistry } from "@costline/server/jobs/JobProcessors"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { JobRunner, type JobRunnerOptions } from "@costline/server/jobs/JobRunner"
import { type Duration, Effect, Layer } from "effect"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"
import { testRedis, uniquePrefix } from "./redisFixture.ts"

/** The project event log on the Redis event bus, as in production. */
export const Events = ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerRedis))

/** JobRepo, the event log and JobQueue.layerBullMQ (retries after `backoff`), on Redis keys named after `label`. */
export const bullmqInfrastructure = (label: string, backoff: Duration.Input) =>
  Layer.mergeAll(
    JobRepo.layer,
    Events,
    JobQueue.layerBullMQWith({ backoff }).pipe(Layer.provide(JobRepo.layer), Layer.provide(Events))
  ).pipe(Layer.provideMerge(testRedis(uniquePrefix(label))), Layer.provideMerge(TestDatabase.layerMigrated))

export interface TestWorkersOptions extends Omit<BullMQWorkers.WorkersOptions, "onCancel"> {
  /** Whether cancel requests on the pub/sub channel reach the runner (as in the worker process). Default false. */
  readonly listen?: boolean | undefined
  /** The runner's options; none by default. */
  readonly runner?: JobRunnerOptions | undefined
}

/** BullMQ workers running `processors` while the layer is in use. */
export const bullmqWorkers = (processors: ProcessorRegistry, options: TestWorkersOptions) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const runner = yield* JobRunner
      const { listen, runner: _, ...workerOptions } = options
      const started = yield* BullMQWorkers.runWorkers(runner.run, {
        ...workerOptions,
        onCancel: listen === true ? runner.cancel : undefined
      })
      yield* started.ready
    })
  ).pipe(Layer.provide(JobRunner.layerWith(options.runner ?? {})), Layer.provide(JobProcessors.layerWith(processors)))
