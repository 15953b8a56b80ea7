// The errors only the SDK raises: the server could not be reached, or it answered in a way the contract does not allow.
// Together with the contract errors (NotFound, Unauthorized, Conflict, InvalidRequest) they are all a caller ever sees.
import type { Conflict, InvalidRequest, NotFound, Unauthorized } from "@costline/core/contracts/ApiErrors"
import { Schema } from "effect"

/** The server could not be reached, the connection dropped, or it was closed by the caller. Usually worth retrying. */
export class ConnectionError extends Schema.TaggedError<ConnectionError>()("ConnectionError", {
  message: Schema.String,
  /** The SDK operation that failed, e.g. "getProject". */
  operation: Schema.String
}) {}

/** The server failed unexpectedly or answered outside the contract (a 5xx, a defect, an undecodable response). */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  message: Schema.String,
  operation: Schema.String,
  /** The HTTP status when the failure came over HTTP. */
  status: Schema.optionalKey(Schema.Number)
}) {}

/** Every error an SDK call can fail with; each is an `Error` subclass with a `_tag` to switch on. */
export type CostlineError = NotFound | Unauthorized | Conflict | InvalidRequest | ConnectionError | ServerError
