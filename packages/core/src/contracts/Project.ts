// Projects, their members' roles, and the payloads that create and list them.
import { Schema } from "effect"
import { DecimalString } from "./Decimal.ts"
import { ProjectId, UserId } from "./Ids.ts"

export const ProjectRole = Schema.Literals(["owner", "editor", "auditor", "viewer"])
export type ProjectRole = typeof ProjectRole.Type

export const StatusCounts = Schema.Struct({
  green: Schema.Number,
  amber: Schema.Number,
  red: Schema.Number,
  unaudited: Schema.Number
})
export type StatusCounts = typeof StatusCounts.Type

export const Project = Schema.Struct({
  id: ProjectId,
  name: Schema.String,
  description: Schema.String,
  ownerId: UserId,
  /** The caller's role in this project. */
  role: ProjectRole,
  currentVersion: Schema.Number,
  /** The seq of the newest event in the project's journal: subscribe with afterSeq = lastEventSeq to miss nothing. */
  lastEventSeq: Schema.Number,
  totalCost: DecimalString,
  statusCounts: StatusCounts,
  createdAt: Schema.String,
  updatedAt: Schema.String
})
export type Project = typeof Project.Type

export const CreateProjectPayload = Schema.Struct({
  name: Schema.String.check(
    Schema.isPattern(/\S/, { message: "name must contain at least one character that is not a space" }),
    Schema.isMaxLength(200, { message: "name may have at most 200 characters" })
  ),
  description: Schema.optionalKey(
    Schema.String.check(Schema.isMaxLength(5000, { message: "description may have at most 5000 characters" }))
  )
})
export type CreateProjectPayload = typeof CreateProjectPayload.Type

export const ListProjectsQuery = Schema.Struct({
  limit: Schema.optionalKey(
    Schema.FiniteFromString.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 100 }))
  ),
  offset: Schema.optionalKey(Schema.FiniteFromString.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0)))
})

export const ProjectPage = Schema.Struct({
  items: Schema.Array(Project),
  total: Schema.Number,
  limit: Schema.Number,
  offset: Schema.Number
})
export type ProjectPage = typeof ProjectPage.Type
