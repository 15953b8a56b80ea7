// The public errors that cross the wire (HTTP and RPC). Every one carries a message that tells the caller how to fix it.
import { Schema } from "effect"

export class Unauthorized extends Schema.TaggedError<Unauthorized>()(
  "Unauthorized",
  { message: Schema.String },
  { httpApiStatus: 401 }
) {}

export class NotFound extends Schema.TaggedError<NotFound>()(
  "NotFound",
  { message: Schema.String, resource: Schema.String, id: Schema.String },
  { httpApiStatus: 404 }
) {}

export class Conflict extends Schema.TaggedError<Conflict>()(
  "Conflict",
  { message: Schema.String, field: Schema.optionalKey(Schema.String) },
  { httpApiStatus: 409 }
) {}

export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()(
  "InvalidRequest",
  { message: Schema.String, field: Schema.String },
  { httpApiStatus: 400 }
) {}

export class NotReady extends Schema.TaggedError<NotReady>()(
  "NotReady",
  {
    message: Schema.String,
    checks: Schema.Record(Schema.String, Schema.Literals(["up", "down"]))
  },
  { httpApiStatus: 503 }
) {}
