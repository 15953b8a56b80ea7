// Turns failures that escape the endpoint handlers into JSON bodies with `_tag` and `message`: a request that does
// not decode names the field; anything unexpected is a 500 that carries the request id and never a stack or SQL.
import { Cause, Option, SchemaIssue } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiError } from "effect/http-api"

const formatIssues = SchemaIssue.makeFormatterStandardSchemaV1()

type Segment = PropertyKey | { readonly key: PropertyKey }
const fieldPath = (path: ReadonlyArray<Segment>, fallback: string) =>
  path.length === 0
    ? fallback
    : path.map((segment) => String(typeof segment === "object" ? segment.key : segment)).join(".")

/** The JSON 400 for a request part that failed to decode, naming the first offending field. */
export const invalidRequestResponse = (error: HttpApiError.HttpApiSchemaError) => {
  const first = formatIssues(error.cause.issue).issues[0]
  const where = error.kind === "Params" ? "path" : error.kind === "Query" ? "query" : "body"
  const field = fieldPath(first?.path ?? [], where)
  const reason = first?.message ?? "is invalid"
  const message = /excess property|unexpected key/i.test(reason)
    ? `${where} field "${field}" is not allowed; remove it (see /docs for the accepted fields)`
    : field === where
      ? `${where}: ${reason}`
      : `${where} field "${field}": ${reason}`
  return HttpServerResponse.jsonUnsafe({ _tag: "InvalidRequest", message, field }, { status: 400 })
}

export const malformedBodyResponse = (detail: string) =>
  HttpServerResponse.jsonUnsafe(
    { _tag: "InvalidRequest", message: `the body is not valid JSON (${detail}); send a JSON object`, field: "body" },
    { status: 400 }
  )

export const notFoundResponse = (method: string, url: string) =>
  HttpServerResponse.jsonUnsafe(
    { _tag: "NotFound", message: `no route for ${method} ${url}; see /docs for the API`, resource: "route", id: url },
    { status: 404 }
  )

export const internalErrorResponse = (requestId: string) =>
  HttpServerResponse.jsonUnsafe(
    {
      _tag: "InternalError",
      message: `something went wrong on our side; retry, and quote request id ${requestId} if it persists`,
      requestId
    },
    { status: 500 }
  )

export const payloadTooLargeResponse = (limit: number) =>
  HttpServerResponse.jsonUnsafe(
    {
      _tag: "PayloadTooLarge",
      message: `the request body exceeds ${limit} bytes; send a smaller body (limit set by MAX_BODY_BYTES)`
    },
    { status: 413 }
  )

/** Finds the decoding error inside a failure or defect, wherever the HTTP API runtime put it. */
export const findSchemaError = (cause: Cause.Cause<unknown>): Option.Option<HttpApiError.HttpApiSchemaError> => {
  for (const reason of cause.reasons) {
    const value = Cause.isFailReason(reason) ? reason.error : Cause.isDieReason(reason) ? reason.defect : undefined
    if (HttpApiError.HttpApiSchemaError.is(value)) return Option.some(value)
  }
  return Option.none()
}

export const isPayloadTooLarge = (cause: Cause.Cause<unknown>): boolean =>
  cause.reasons.some((reason) => {
    const value = Cause.isFailReason(reason) ? reason.error : Cause.isDieReason(reason) ? reason.defect : undefined
    return HttpApiError.HttpApiPayloadTooLarge.is(value)
  })
