// Writes a version of a project's budget as a file (core exportBudget): the bytes plus the name and content type it is
// downloaded with. Shared by the export_budget job and the direct answer of GET /projects/:id/export.
import { type ExportFormatName, exportBudget, type ProjectId } from "@costline/core"
import { Effect, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { BudgetRepo } from "../../budget/BudgetRepo.ts"

export interface ExportFile {
  readonly bytes: Uint8Array
  readonly fileName: string
  readonly contentType: string
  readonly version: number
  readonly positionCount: number
}

const extensions: Record<ExportFormatName, string> = { csv: "csv", xlsx: "xlsx", unixml: "unixml.xml" }

export const exportContentType: Record<ExportFormatName, string> = {
  csv: "text/csv; charset=utf-8",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  unixml: "application/xml"
}

/** "Rodinný dům Valcha" → "Rodinny-dum-Valcha": ASCII, so the name survives every Content-Disposition parser. */
export const fileNameStem = (name: string): string => {
  const ascii = name
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80)
  return ascii === "" ? "budget" : ascii
}

/** `version` undefined = the head. None when the project or the version does not exist. */
export const buildExportFile = (
  projectId: ProjectId,
  version: number | undefined,
  format: ExportFormatName
): Effect.Effect<Option.Option<ExportFile>, SqlError, BudgetRepo | SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const budgets = yield* BudgetRepo
    const projects = yield* sql<{ readonly name: string; readonly current_version: number }>`
      SELECT name, current_version FROM projects WHERE id = ${projectId}`
    const project = projects[0]
    if (project === undefined) return Option.none()
    const wanted = version ?? Number(project.current_version)
    const found = yield* budgets.readVersion(projectId, wanted)
    if (Option.isNone(found)) return Option.none()
    const head = found.value
    const bytes = yield* exportBudget(
      { settings: head.settings, positions: head.positions, meta: { code: `v${wanted}`, name: project.name } },
      format
    )
    return Option.some({
      bytes,
      fileName: `${fileNameStem(project.name)}-v${wanted}.${extensions[format]}`,
      contentType: exportContentType[format],
      version: wanted,
      positionCount: head.positions.length
    })
  }).pipe(Effect.withSpan("buildExportFile", { attributes: { format } }))
