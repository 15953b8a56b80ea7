// The one place that turns whatever a call failed with (RPC transport errors, HTTP client errors, defects) into the
// typed errors of the SDK; every public SDK call goes through `withCostlineErrors`.
import { Conflict, InvalidRequest, NotFound, Unauthorized } from "@costline/core/contracts/ApiErrors"
import { Cause, Effect, Predicate, Schema, SchemaIssue, Stream } from "effect"
import { HttpClientError } from "effect/http"
import { RpcClientError } from "effect/rpc"
import { ConnectionError, type CostlineError, ServerError } from "./ClientErrors.ts"

const isContractError = (u: unknown): u is NotFound | Unauthorized | Conflict | InvalidRequest =>
  u instanceof NotFound || u instanceof Unauthorized || u instanceof Conflict || u instanceof InvalidRequest

const isSdkError = (u: unknown): u is ConnectionError | ServerError =>
  u instanceof ConnectionError || u instanceof ServerError

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

/** Turns a schema failure of the caller's input into an InvalidRequest naming the first offending field. */
export const invalidInput = (error: Schema.SchemaError): InvalidRequest => {
  const first = formatIssues(error.issue).issues[0]
  const field = first?.path?.map(String).join(".") ?? ""
  return new InvalidRequest({
    message: first ? `${field === "" ? "input" : field}: ${first.message}` : error.message,
    field
  })
}

const fromStatus = (operation: string, status: number, detail: string): CostlineError => {
  switch (status) {
    case 400:
    case 422:
      return new InvalidRequest({ message: `the server rejected the request as invalid: ${detail}`, field: "" })
    case 401:
      return new Unauthorized({
        message: "the access token is missing, expired or revoked: log in again or refresh it"
      })
    case 403:
      return new Unauthorized({ message: "this account may not do that: ask a project owner for a role that can" })
    case 404:
      return new NotFound({ message: `not found: ${detail}`, resource: "", id: "" })
    case 409:
      return new Conflict({ message: `the request conflicts with the current state: ${detail}` })
    case 429:
      return new ConnectionError({ message: "too many requests: wait a moment and retry", operation })
    default:
      return new ServerError({ message: `the server answered ${status}: ${detail}`, operation, status })
  }
}

const fromHttpClientError = (operation: string, error: HttpClientError.HttpClientError): CostlineError => {
  const reason = error.reason
  switch (reason._tag) {
    case "TransportError":
    case "InvalidUrlError":
      return new ConnectionError({
        message: `could not reach the Costline server (${reason.message}): check baseUrl and that the server runs`,
        operation
      })
    case "EncodeError":
      return new InvalidRequest({ message: `the request could not be encoded: ${reason.message}`, field: "" })
    case "StatusCodeError":
    case "DecodeError":
    case "EmptyBodyError": {
      const status = reason.response.status
      return status >= 400
        ? fromStatus(operation, status, reason.message)
        : new ServerError({
            message: `the server's answer did not match the API: ${reason.message}`,
            operation,
            status
          })
    }
  }
}

const fromRpcClientError = (operation: string, error: RpcClientError.RpcClientError): CostlineError => {
  const reason = error.reason
  if (reason._tag === "RpcClientDefect") {
    return new ServerError({ message: `the server sent a message the SDK cannot read: ${reason.message}`, operation })
  }
  return new ConnectionError({
    message: `the realtime connection to the Costline server failed (${reason.message}); it reconnects on its own, retry shortly`,
    operation
  })
}

const messageOf = (u: unknown): string =>
  Predicate.hasProperty(u, "message") && typeof u.message === "string" ? u.message : String(u)

/**
 * Maps any failure of a Costline call to a typed SDK error. Contract errors pass through unchanged.
 *
 * @example
 * ```ts
 * import { toCostlineError } from "@costline/sdk"
 * const error = toCostlineError("getProject", somethingThatWentWrong)
 * if (error._tag === "NotFound") console.log(error.resource, error.id)
 * ```
 */
export const toCostlineError = (operation: string, error: unknown): CostlineError => {
  if (isContractError(error) || isSdkError(error)) return error
  if (HttpClientError.isHttpClientError(error)) return fromHttpClientError(operation, error)
  if (error instanceof RpcClientError.RpcClientError) return fromRpcClientError(operation, error)
  if (Schema.isSchemaError(error)) {
    return new ServerError({ message: `the server's answer did not match the API: ${error.message}`, operation })
  }
  return new ServerError({ message: `unexpected failure: ${messageOf(error)}`, operation })
}

const mapCause = (operation: string) => (cause: Cause.Cause<unknown>) => {
  // Interruption is the caller's own doing (a timeout, a closed scope): pass it on untouched.
  if (Cause.hasInterruptsOnly(cause)) return Effect.failCause(cause as Cause.Cause<never>)
  return Effect.fail(toCostlineError(operation, Cause.squash(cause)))
}

/**
 * Runs an effect and maps every failure and defect to a `CostlineError` (interruptions pass through).
 *
 * @example
 * ```ts
 * import { withCostlineErrors } from "@costline/sdk"
 * import { Effect } from "effect"
 *
 * // `client` is a CostlineClient; its `http` calls fail with raw client errors until mapped.
 * const project = client.http.projects.get({ params: { id } }).pipe(
 *   withCostlineErrors("getProject"),
 *   Effect.catchTag("NotFound", () => Effect.succeed(undefined))
 * )
 * ```
 */
export const withCostlineErrors =
  (operation: string) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, CostlineError, R> =>
    Effect.catchCause(effect, mapCause(operation))

/** The stream counterpart of `withCostlineErrors`, used for project subscriptions. */
export const withCostlineStreamErrors =
  (operation: string) =>
  <A, E, R>(stream: Stream.Stream<A, E, R>): Stream.Stream<A, CostlineError, R> =>
    Stream.catchCause(stream, (cause) => Stream.fromEffect(mapCause(operation)(cause)))
