// Liveness of the attempts a worker process runs, for workers that other processes may hand a job to again while an
// attempt still runs it (BullMQ redelivers a job whose lock expired, which also happens to a live worker when Redis was
// out of reach for longer than the lock): each running attempt touches its row on a beat, a delivery takes over a
// running job only once its row has gone quiet (JobRunner.notStarted, JobRepo.markRunningMany), and what the beat
// reads back stops the attempts that must stop.
import type { JobId } from "@costline/core"
import { Duration, Effect, Schedule } from "effect"
import type { EndedElsewhere, StopReason } from "./AttemptEnd.ts"
import type { JobRepo, RunningAttempt } from "./JobRepo.ts"

export interface Liveness {
  /** How often each running attempt touches its row. */
  readonly heartbeat: Duration.Input
  /** How long a running row must have gone untouched before a delivery takes its job over. */
  readonly takeOverAfter: Duration.Input
}

/**
 * The liveness of BullMQ workers whose locks last `lockDuration`. A killed worker's lock runs out a whole lock after
 * its last renewal, and renewals come at most half a lock apart, so BullMQ hands its job out again at least half a
 * lock after the death, when the row has been untouched that long: past the take-over age of a third. A live worker
 * touches its rows a sixth of a lock apart (plus a statement's time), well within that third. Every worker of a
 * deployment must run with the same lock duration (WORKER_LOCK_MS), or one would take over another's live jobs.
 */
export const livenessForLock = (lockDuration: Duration.Input): Liveness => {
  const lockMs = Duration.toMillis(Duration.fromInputUnsafe(lockDuration))
  return { heartbeat: Duration.millis(lockMs / 6), takeOverAfter: Duration.millis(lockMs / 3) }
}

/** An attempt running in this process, as the runner keeps it. */
export interface RunningHere {
  readonly stop: (reason: StopReason) => Effect.Effect<void>
  /** Stops the attempt as lost; `endedAs` when another worker ended its job. */
  readonly lose: (endedAs: EndedElsewhere | undefined) => Effect.Effect<void>
  /** When its time limit is up (Clock millis); Infinity once it has been told to stop. */
  deadline: number
  /** The attempt's fencing number (JobRecord.fence), which the beat writes with. */
  readonly fence: number
}

/**
 * Runs for ever: one statement a beat, on a fixed rate, for every attempt in `running`, so a row is never left untouched
 * for much more than a beat. What the rows say stops the attempts that must stop, within a beat even for a processor
 * that reports no progress: a cancel that did not come over pub/sub (Redis out of reach), a job another worker ended
 * or took over. A failed beat is only logged (the next one may pass; a row left quiet for too long only lets another
 * worker take its job over), whatever went wrong, so that the beats never stop while the process runs.
 */
export const beat = (repo: JobRepo["Service"], running: ReadonlyMap<JobId, RunningHere>, heartbeat: Duration.Input) =>
  Effect.suspend(() => {
    const beating = Array.from(running, ([id, { fence }]): RunningAttempt => ({ id, fence }))
    return Effect.flatMap(repo.heartbeat(beating), (answers) =>
      Effect.forEach(
        beating,
        ({ id, fence }) => {
          const answer = answers.get(id)
          const current = running.get(id)
          if (answer === undefined || current?.fence !== fence) return Effect.void
          // Forked: a processor's finalizers may take a while, and the next beat must not wait for them.
          if (answer._tag === "Lost") return Effect.forkDetach(current.lose(answer.endedAs))
          return answer.cancelRequested ? Effect.forkDetach(current.stop("cancelled")) : Effect.void
        },
        { discard: true }
      )
    )
  }).pipe(
    Effect.catchCause((cause) => Effect.logWarning("heartbeat of the running jobs not recorded", cause)),
    Effect.repeat(Schedule.fixed(heartbeat)),
    Effect.asVoid
  )
