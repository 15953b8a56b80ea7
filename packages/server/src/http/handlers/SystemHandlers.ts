// /health answers while the process runs; /ready only when everything it depends on answers.
import { CostlineApi, NotReady } from "@costline/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { Readiness } from "../Readiness.ts"

export const SystemHandlers = HttpApiBuilder.group(
  CostlineApi,
  "system",
  Effect.fnUntraced(function* (handlers) {
    const readiness = yield* Readiness
    return handlers
      .handle("health", () => Effect.succeed({ status: "ok" as const }))
      .handle("ready", () =>
        Effect.flatMap(readiness.check, (checks) => {
          const down = Object.keys(checks).filter((name) => checks[name] === "down")
          return down.length === 0
            ? Effect.succeed({ status: "ready" as const, checks })
            : Effect.fail(new NotReady({ message: `not ready: ${down.join(", ")} down`, checks }))
        })
      )
  })
)
