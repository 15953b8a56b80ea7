// Reads an upload's multipart parts: exactly one part, a file named `file`, handed to `store` while it streams in.
// Anything else in the body is a 400 naming the part, and multipart failures become the API's own errors.
import { InvalidRequest, PayloadTooLarge, UPLOAD_FILE_FIELD } from "@costline/core"
import { Effect, Option, Stream } from "effect"
import type { Multipart } from "effect/http"

const invalid = (field: string, message: string) => new InvalidRequest({ field, message })

/** Multipart parse and limit failures in the API's terms. */
export const fromMultipartError = (error: Multipart.MultipartError): InvalidRequest | PayloadTooLarge => {
  switch (error.reason._tag) {
    case "FileTooLarge":
    case "BodyTooLarge":
      return new PayloadTooLarge({ message: "the upload is too large; send a smaller file" })
    case "FieldTooLarge":
    case "TooManyParts":
      return invalid("body", `send only the document, as the multipart part "${UPLOAD_FILE_FIELD}"`)
    case "Parse":
      return invalid(
        "body",
        `the body is not valid multipart/form-data; send the document as part "${UPLOAD_FILE_FIELD}"`
      )
    case "InternalError":
      // The body stopped arriving: the client went away, or the transport already answered 413.
      return invalid("body", "the request body could not be read to the end; send the upload again")
  }
}

/**
 * Runs `store` on the part named "file" and returns what it returned, after checking that the body holds nothing
 * else. A part before the file fails before anything is stored.
 */
export const receiveUpload = <A, E>(
  parts: Stream.Stream<Multipart.Part, Multipart.MultipartError>,
  store: (file: Multipart.File) => Effect.Effect<A, E>
): Effect.Effect<A, E | InvalidRequest | PayloadTooLarge> =>
  Effect.gen(function* () {
    let stored = Option.none<A>()
    yield* Stream.runForEach(
      Stream.mapError(parts, fromMultipartError),
      (part): Effect.Effect<void, E | InvalidRequest> => {
        if (part.key === UPLOAD_FILE_FIELD && part._tag === "Field") {
          return Effect.fail(
            invalid(UPLOAD_FILE_FIELD, `part "${UPLOAD_FILE_FIELD}" is a text field; attach the document as a file`)
          )
        }
        if (part.key !== UPLOAD_FILE_FIELD || part._tag !== "File") {
          const what = part._tag === "File" ? "file" : "field"
          return Effect.fail(
            invalid(
              part.key,
              `unexpected ${what} "${part.key}": send only the document, as the file part "${UPLOAD_FILE_FIELD}"`
            )
          )
        }
        if (Option.isSome(stored)) {
          return Effect.fail(invalid(UPLOAD_FILE_FIELD, "send one file per upload"))
        }
        return Effect.map(store(part), (value) => {
          stored = Option.some(value)
        })
      }
    )
    if (Option.isNone(stored)) {
      return yield* invalid(
        UPLOAD_FILE_FIELD,
        `the body has no file part "${UPLOAD_FILE_FIELD}"; send the document as multipart/form-data field "${UPLOAD_FILE_FIELD}"`
      )
    }
    return stored.value
  })
