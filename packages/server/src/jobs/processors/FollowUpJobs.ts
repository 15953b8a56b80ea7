// How a processor enqueues the job that follows it (parse → enrich → audit). In the worker and the production server
// this is the JobQueue itself; in the embedded profile the in-process queue runs the very processors that enqueue, so
// the queue cannot be built before them: there the service waits until the queue is bound, right after it is built.
import type { Job } from "@costline/core"
import { Context, Deferred, Effect, Layer } from "effect"
// Type-only: JobQueue imports the processors, which use this service (PipelineLayers wires the two together).
import type { EnqueueOptions, JobQueue } from "../JobQueue.ts"

export class FollowUpJobs extends Context.Service<
  FollowUpJobs,
  {
    readonly enqueue: (options: EnqueueOptions) => Effect.Effect<Job>
    /** Hands over the queue (a no-op where it was there from the start). */
    readonly bind: (queue: JobQueue["Service"]) => Effect.Effect<void>
  }
>()("@costline/server/FollowUpJobs") {
  /** Straight through a JobQueue (worker, production server). */
  static readonly fromQueue = (queue: JobQueue["Service"]): FollowUpJobs["Service"] =>
    FollowUpJobs.of({ enqueue: queue.enqueue, bind: () => Effect.void })

  /**
   * For a queue that runs the processors itself (the in-process queue): enqueueing waits until `bind` (PipelineLayers binds it
   * next to the queue's layer). Jobs resumed while the queue starts may call it before that moment.
   */
  static readonly layerDeferred: Layer.Layer<FollowUpJobs> = Layer.effect(
    FollowUpJobs,
    Effect.gen(function* () {
      const bound = yield* Deferred.make<JobQueue["Service"]>()
      return FollowUpJobs.of({
        enqueue: (options) =>
          Deferred.await(bound).pipe(
            Effect.timeoutOrElse({
              duration: "60 seconds",
              // A wiring bug (layerBind missing), not something a retry fixes.
              orElse: () =>
                Effect.die(new Error("FollowUpJobs: no JobQueue was bound; bind the queue (see PipelineLayers)"))
            }),
            Effect.flatMap((queue) => queue.enqueue(options))
          ),
        bind: (queue) => Effect.asVoid(Deferred.succeed(bound, queue))
      })
    })
  )
}
