// The middleware every HTTP request goes through: a request id on the response and on every log line of the request,
// one access log line, and the JSON error bodies of ErrorResponses for failures the endpoints did not handle.
import { randomUUID } from "node:crypto"
import { Cause, Clock, Effect, Option, type Types } from "effect"
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

export const requestMiddleware = (options: { readonly maxBodyBytes: number }) =>
  HttpRouter.middleware(
    (app) =>
      Effect.gen(function* () {
        const request = yield* HttpServerRequest.HttpServerRequest
        const incoming = request.headers["x-request-id"]
        // A caller's id is kept so traces join up across services; anything odd is replaced, never echoed.
        const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID()
        // The router's type asks a catch-all middleware to keep `unhandled` in its error channel; it never fails.
        const handled: Effect.Effect<HttpServerResponse.HttpServerResponse, Types.unhandled> = handle(
          app,
          request,
          requestId,
          options.maxBodyBytes
        ).pipe(Effect.annotateLogs({ requestId }))
        return yield* handled
      }),
    { global: true }
  )

const handle = <E>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E>,
  request: HttpServerRequest.HttpServerRequest,
  requestId: string,
  maxBodyBytes: number
) =>
  Effect.gen(function* () {
    const started = yield* Clock.currentTimeMillis
    const options = { maxBodyBytes }
    const response = yield* app.pipe(
      Effect.catchCause((cause) => {
        const schemaError = findSchemaError(cause)
        if (Option.isSome(schemaError)) return Effect.succeed(invalidRequestResponse(schemaError.value))
        if (isPayloadTooLarge(cause)) return Effect.succeed(payloadTooLargeResponse(options.maxBodyBytes))
        const failure = Cause.findErrorOption(cause)
        if (Option.isSome(failure) && HttpServerError.isHttpServerError(failure.value)) {
          const reason = failure.value.reason
          if (reason._tag === "RouteNotFound") {
            return Effect.succeed(notFoundResponse(request.method, request.url))
          }
          if (reason._tag === "RequestParseError") {
            return Effect.succeed(
              reason.reason === "BodyTooLarge"
                ? payloadTooLargeResponse(options.maxBodyBytes)
                : malformedBodyResponse(reason.description ?? "cannot parse")
            )
          }
        }
        if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause)
        return Effect.logError("request failed", cause).pipe(Effect.as(internalErrorResponse(requestId)))
      })
    )

    const took = (yield* Clock.currentTimeMillis) - started
    if (response.status >= 500 || took > 1000) {
      yield* Effect.logWarning("request", {
        method: request.method,
        url: request.url,
        status: response.status,
        ms: took
      })
    } else {
      yield* Effect.logDebug("request", { method: request.method, url: request.url, status: response.status, ms: took })
    }
    return HttpServerResponse.setHeader(response, "x-request-id", requestId)
  })
