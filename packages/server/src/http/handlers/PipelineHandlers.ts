// The pipeline group over HTTP: audit requests and exports go to PipelineCommands; files are answered as attachments.
import { CostlineApi, CurrentUser } from "@costline/core"
import { Effect } from "effect"
import { HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { type DownloadableFile, PipelineCommands } from "../../pipeline/PipelineCommands.ts"

/** The file as an attachment; the name is ASCII already (see fileNameStem), quoted for the header. */
const attachment = (file: DownloadableFile) =>
  HttpServerResponse.uint8Array(file.bytes, {
    contentType: file.contentType,
    headers: { "content-disposition": `attachment; filename="${file.fileName.replaceAll('"', "")}"` }
  })

export const PipelineHandlers = HttpApiBuilder.group(
  CostlineApi,
  "pipeline",
  Effect.fnUntraced(function* (handlers) {
    const pipeline = yield* PipelineCommands
    return handlers
      .handle("audit", ({ params, payload }) =>
        Effect.flatMap(CurrentUser, (user) =>
          Effect.map(pipeline.requestAudit(params.id, user.userId, payload.version), (job) => ({ job }))
        )
      )
      .handle("export", ({ params, query }) =>
        Effect.flatMap(CurrentUser, (user) =>
          Effect.map(pipeline.export(params.id, user.userId, query), (answer) =>
            answer._tag === "File"
              ? attachment(answer.file)
              : HttpServerResponse.jsonUnsafe({ job: answer.job }, { status: 202 })
          )
        )
      )
      .handle("download", ({ params }) =>
        Effect.flatMap(CurrentUser, (user) => Effect.map(pipeline.download(params.id, user.userId), attachment))
      )
  })
)
