// Counters of this worker process (jobs by type and outcome, jobs running now) and their Prometheus text form, followed
// by the process's own metrics (ProcessMetrics.ts). Owns counting only; the health server serves the text.
import type { JobRunOutcome } from "@costline/server/jobs/JobRunner"
import { Cause, Context, Effect, Exit, Layer } from "effect"
import { makeProcessMetrics } from "./ProcessMetrics.ts"

type Outcome = "completed" | "failed" | "retried" | "cancelled" | "skipped" | "deferred"

export class WorkerMetrics extends Context.Service<
  WorkerMetrics,
  {
    /** Wraps one attempt: counts it as active while it runs, then by job type and outcome. */
    readonly track: <E, R>(attempt: Effect.Effect<JobRunOutcome, E, R>) => Effect.Effect<JobRunOutcome, E, R>
    /** Prometheus text exposition format 0.0.4. */
    readonly render: Effect.Effect<string>
  }
>()("@costline/worker/WorkerMetrics") {
  static readonly layer = Layer.sync(WorkerMetrics, () => {
    // Plain counters: every update is synchronous and the process is single-threaded.
    const byOutcome = new Map<Outcome, Map<string, number>>()
    let active = 0
    let attemptErrors = 0
    const processMetrics = makeProcessMetrics()

    const count = (outcome: Outcome, type: string) => {
      const byType = byOutcome.get(outcome) ?? new Map<string, number>()
      byType.set(type, (byType.get(type) ?? 0) + 1)
      byOutcome.set(outcome, byType)
    }

    const record = (outcome: JobRunOutcome) => {
      switch (outcome._tag) {
        case "Completed":
          return count("completed", outcome.job.type)
        case "Failed":
          return count("failed", outcome.job.type)
        case "RetryLater":
          return count("retried", outcome.job.type)
        case "Cancelled":
          return count("cancelled", outcome.job.type)
        case "Skipped":
          return count("skipped", "unknown")
        case "RunningElsewhere":
          return count("deferred", "unknown")
      }
    }

    const escapeLabel = (value: string) => value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n")

    const counter = (name: string, help: string, outcome: Outcome): Array<string> => [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} counter`,
      ...[...(byOutcome.get(outcome) ?? new Map<string, number>())].map(
        ([type, value]) => `${name}{type="${escapeLabel(type)}"} ${value}`
      )
    ]

    return WorkerMetrics.of({
      // One exit handler per attempt: this runs for every job, thousands a second.
      track: (attempt) =>
        Effect.suspend(() => {
          active += 1
          return Effect.onExit(attempt, (exit) =>
            Effect.sync(() => {
              active -= 1
              if (Exit.isSuccess(exit)) record(exit.value)
              else if (Cause.hasFails(exit.cause)) attemptErrors += 1
            })
          )
        }),
      render: Effect.zipWith(
        Effect.sync(() =>
          [
            ...counter("costline_worker_jobs_processed_total", "Jobs that completed, by type.", "completed"),
            ...counter("costline_worker_jobs_failed_total", "Jobs that failed for good, by type.", "failed"),
            ...counter(
              "costline_worker_jobs_retried_total",
              "Attempts that failed and were scheduled again, by type.",
              "retried"
            ),
            ...counter(
              "costline_worker_jobs_cancelled_total",
              "Jobs stopped by a cancel request, by type.",
              "cancelled"
            ),
            ...counter(
              "costline_worker_jobs_skipped_total",
              "Deliveries of unknown or already finished jobs.",
              "skipped"
            ),
            ...counter(
              "costline_worker_jobs_deferred_total",
              "Deliveries of jobs still running on a live worker elsewhere (its lock was lost), to be looked at again.",
              "deferred"
            ),
            "# HELP costline_worker_attempt_errors_total Attempts the runner could not record (database unavailable).",
            "# TYPE costline_worker_attempt_errors_total counter",
            `costline_worker_attempt_errors_total ${attemptErrors}`,
            "# HELP costline_worker_jobs_active Jobs running in this process now.",
            "# TYPE costline_worker_jobs_active gauge",
            `costline_worker_jobs_active ${active}`,
            ""
          ].join("\n")
        ),
        processMetrics,
        (jobs, process) => jobs + process
      )
    })
  })
}
