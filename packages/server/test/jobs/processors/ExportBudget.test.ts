// export_budget against real PostgreSQL and a real blob directory: the exported bytes, parsed again, give back the
// version's positions (CSV, XLSX, UNIXML); the result says where the file is and how to download it.
import { type ExportResult, type Position, type ProjectId, parseBudget } from "@costline/core"
import { BlobStore } from "@costline/server/blobs/BlobStore"
import { BudgetRepo } from "@costline/server/budget/BudgetRepo"
import { fileNameStem } from "@costline/server/jobs/processors/buildExportFile"
import { makeExportBudget } from "@costline/server/jobs/processors/ExportBudget"
import { assert, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { fixturesAvailable, readFixture } from "../../../../../test/support/fixtures.ts"
import { importVerbatim, newProject, position, processorLayer, runProcessor } from "./processorHarness.ts"

const formats = ["csv", "xlsx", "unixml"] as const

const exportJob = (projectId: ProjectId, payload: unknown) =>
  Effect.gen(function* () {
    const processor = yield* makeExportBudget
    return yield* runProcessor(processor, {
      id: `export:${projectId}`,
      type: "export_budget",
      projectId,
      payload
    })
  })

// What UNIXML keeps of take-off lines is core's rule (packages/core/test/export/roundTrip.test.ts); here they are left
// out of the UNIXML comparison, every other field must come back.
const withoutTakeoff = (positions: ReadonlyArray<Position>) => positions.map((p) => ({ ...p, takeoff: [] }))

const roundTrip = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const head = yield* (yield* BudgetRepo).readHead(projectId)
    const blobs = yield* BlobStore
    for (const format of formats) {
      const { result } = yield* exportJob(projectId, { format })
      const exported = result as ExportResult
      assert.strictEqual(exported.format, format)
      assert.strictEqual(exported.version, head.version)
      assert.strictEqual(exported.downloadUrl, `/api/v1/jobs/export:${projectId}/download`)
      const bytes = Option.getOrThrow(yield* Effect.orDie(blobs.get(exported.blobKey)))
      assert.strictEqual(bytes.byteLength, exported.size)
      const back = yield* Effect.orDie(parseBudget(bytes, { fileName: exported.fileName }))
      assert.strictEqual(back.meta.format, format)
      assert.deepStrictEqual(
        format === "unixml" ? withoutTakeoff(back.positions) : back.positions,
        format === "unixml" ? withoutTakeoff(head.positions) : [...head.positions],
        `${format} round trip`
      )
    }
  })

layer(processorLayer(), { excludeTestServices: true, timeout: "120 seconds" })("export_budget", (it) => {
  it.effect("a small budget exported in each format parses back to the same positions", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      // Keys as the importers make them (object/section/number), so that a re-import can be compared field by field.
      yield* importVerbatim(projectId, userId, [
        position("SO 01/1/1", { number: "1" }),
        position("SO 02/1/2", {
          number: "2",
          code: "131251100",
          description: "Hloubení jam",
          unit: "m3",
          objectCode: "SO 02",
          objectName: "Garáž"
        })
      ])
      yield* roundTrip(projectId)
      const { result } = yield* exportJob(projectId, { format: "xlsx", version: 1 })
      assert.strictEqual((result as ExportResult).fileName, "Rodinny-dum-Valcha-v1.xlsx")
    })
  )

  it.effect.skipIf(!fixturesAvailable("boq/rd-valcha.unixml.xml"))(
    "the real rd-valcha budget round-trips through every format",
    () =>
      Effect.gen(function* () {
        const { projectId, userId } = yield* newProject
        const parsed = yield* Effect.orDie(parseBudget(readFixture("boq/rd-valcha.unixml.xml")!))
        yield* importVerbatim(projectId, userId, parsed.positions, parsed.settings)
        yield* roundTrip(projectId)
      })
  )

  it.effect("a version that does not exist, or a bad format, fails for good", () =>
    Effect.gen(function* () {
      const { projectId } = yield* newProject
      const missing = yield* Effect.flip(exportJob(projectId, { format: "csv", version: 7 }))
      assert.strictEqual(missing._tag, "PermanentJobFailure")
      assert.include(missing.message, "no version 7")
      const bad = yield* Effect.flip(exportJob(projectId, { format: "pdf" }))
      assert.strictEqual(bad._tag, "PermanentJobFailure")
      assert.include(bad.message, "payload is invalid")
    })
  )

  it("file names are ASCII", () => {
    assert.strictEqual(fileNameStem("Rodinný dům Valcha / 2. etapa"), "Rodinny-dum-Valcha-2-etapa")
    assert.strictEqual(fileNameStem("ůůů"), "uuu")
    assert.strictEqual(fileNameStem("„“"), "budget")
  })
})
