// The middleware every HTTP request goes through: a request id on the response and on every log line of the request,
// one access log line, and the JSON error bodies of ErrorResponses for failures the endpoints did not handle.
// It runs on every request, so it is written with plain combinators over the fiber rather than generators: the
// generator version cost about a fifth of a small request's CPU time (measured with bench/projectGet.bench.ts).
import { randomUUID } from "node:crypto"
import { Cause, Clock, Context, Effect, LogLevel, Option, References, type Types } from "effect"
import { HttpRouter, HttpServerError, HttpServerRequest, HttpServerResponse } from "effect/http"
import {
  findSchemaError,
  internalErrorResponse,
  invalidRequestResponse,
  isPayloadTooLarge,
  malformedBodyResponse,
  notFoundResponse,
  payloadTooLargeResponse
} from "./ErrorResponses.ts"

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Requests slower than this are logged at warning level, like every 5xx. */
const SLOW_REQUEST_MS = 1000

export const requestMiddleware = (options: { readonly maxBodyBytes: number }) =>
  HttpRouter.middleware(
    (app) =>
      Effect.withFiber((fiber) => {
        const request = Context.getUnsafe(fiber.context, HttpServerRequest.HttpServerRequest)
        const incoming = request.headers["x-request-id"]
        // A caller's id is kept so traces join up across services; anything odd is replaced, never echoed.
        const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID()
        const clock = fiber.getRef(Clock.Clock)
        const started = clock.currentTimeMillisUnsafe()
        // Decided once per request: the debug line is only built when someone will read it.
        const debug = !LogLevel.isGreaterThan(fiber.getRef(References.MinimumLogLevel), "Debug")
        const handled: Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled> = app.pipe(
          Effect.catchCause((cause) => recover(cause, request, requestId, options.maxBodyBytes)),
          Effect.flatMap((response) => {
            const ms = clock.currentTimeMillisUnsafe() - started
            const tagged = HttpServerResponse.setHeader(response, "x-request-id", requestId)
            if (response.status >= 500 || ms > SLOW_REQUEST_MS) {
              const line = { method: request.method, url: request.url, status: response.status, ms }
              return Effect.as(Effect.logWarning("request", line), tagged)
            }
            if (!debug) return Effect.succeed(tagged)
            const line = { method: request.method, url: request.url, status: response.status, ms }
            return Effect.as(Effect.logDebug("request", line), tagged)
          }),
          // The router's type asks a catch-all middleware to keep `unhandled` in its error channel; it never fails.
          Effect.annotateLogs("requestId", requestId)
        )
        return handled
      }),
    { global: true }
  )

/** The response for a failure no endpoint handled; interruptions stay interruptions. */
const recover = <E>(
  cause: Cause.Cause<E>,
  request: HttpServerRequest.HttpServerRequest,
  requestId: string,
  maxBodyBytes: number
): Effect.Effect<HttpServerResponse.HttpServerResponse, E> => {
  const schemaError = findSchemaError(cause)
  if (Option.isSome(schemaError)) return Effect.succeed(invalidRequestResponse(schemaError.value))
  if (isPayloadTooLarge(cause)) return Effect.succeed(payloadTooLargeResponse(maxBodyBytes))
  const failure = Cause.findErrorOption(cause)
  if (Option.isSome(failure) && HttpServerError.isHttpServerError(failure.value)) {
    const reason = failure.value.reason
    if (reason._tag === "RouteNotFound") return Effect.succeed(notFoundResponse(request.method, request.url))
    if (reason._tag === "RequestParseError") {
      return Effect.succeed(
        reason.reason === "BodyTooLarge"
          ? payloadTooLargeResponse(maxBodyBytes)
          : malformedBodyResponse(reason.description ?? "cannot parse")
      )
    }
  }
  if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
  return Effect.as(Effect.logError("request failed", cause), internalErrorResponse(requestId))
}
