// Branded identifiers shared by every package, so a project id can never be passed where a user id is expected.
import { Schema } from "effect"

const Uuid = Schema.String.check(
  Schema.isPattern(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, {
    message: "expected a UUID such as 2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11"
  })
)

export const UserId = Uuid.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

export const ProjectId = Uuid.pipe(Schema.brand("ProjectId"))
export type ProjectId = typeof ProjectId.Type

/** Job ids are strings: deterministic ids such as "recalculate:<project>:<version>" are allowed. */
export const JobId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(200)).pipe(Schema.brand("JobId"))
export type JobId = typeof JobId.Type
