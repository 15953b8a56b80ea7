// Documents over HTTP: the upload streams its multipart body into DocumentCommands; the download streams the blob
// back with the type and name it was uploaded with.
import { CostlineApi, CurrentUser, InvalidRequest, UPLOAD_FILE_FIELD, UPLOAD_MULTIPART_LIMITS } from "@costline/core"
import { Effect, Stream } from "effect"
import { HttpServerResponse, Multipart } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { DocumentCommands } from "../../documents/DocumentCommands.ts"
import { contentDisposition } from "../../documents/uploadMetadata.ts"

export const DocumentsHandlers = HttpApiBuilder.group(
  CostlineApi,
  "documents",
  Effect.fnUntraced(function* (handlers) {
    const documents = yield* DocumentCommands
    return (
      handlers
        // Raw: the content type is checked here, so a body that is not multipart gets the API's JSON 400 rather than
        // the builder's plain-text 415; the parts stream is the same one the builder would hand over.
        .handleRaw("upload", ({ params, request }) =>
          Effect.flatMap(CurrentUser, (user) => {
            const contentType = request.headers["content-type"] ?? ""
            if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
              const got = contentType === "" ? "no content type" : JSON.stringify(contentType)
              return Effect.fail(
                new InvalidRequest({
                  field: "content-type",
                  message: `expected multipart/form-data, got ${got}; send the document as the file part "${UPLOAD_FILE_FIELD}" of a form`
                })
              )
            }
            if (!/;\s*boundary=/i.test(contentType)) {
              return Effect.fail(
                new InvalidRequest({
                  field: "content-type",
                  message:
                    "multipart/form-data without a boundary; let the HTTP client build the form (e.g. fetch with FormData, curl -F) rather than setting the header by hand"
                })
              )
            }
            const parts = Stream.provideContext(
              request.multipartStream,
              Multipart.limitsServices(UPLOAD_MULTIPART_LIMITS)
            )
            return documents.upload(params.id, user.userId, parts)
          })
        )
        .handle("list", ({ params }) => Effect.flatMap(CurrentUser, (user) => documents.list(params.id, user.userId)))
        .handle("get", ({ params }) => Effect.flatMap(CurrentUser, (user) => documents.get(params.id, user.userId)))
        .handle("content", ({ params }) =>
          Effect.flatMap(CurrentUser, (user) =>
            Effect.map(documents.content(params.id, user.userId), (download) =>
              HttpServerResponse.stream(download.content, {
                contentType: download.document.contentType,
                contentLength: download.size,
                headers: {
                  "content-disposition": contentDisposition(download.document.fileName),
                  // The bytes are the user's file: never let a browser guess another type for them.
                  "x-content-type-options": "nosniff"
                }
              })
            )
          )
        )
    )
  })
)
