// Every migration, imported statically so bundlers and `deno compile` see them; ids come from the `NNNN_` prefix.
import { Migrator } from "effect/sql"
import users from "./0001_users.ts"
import projects from "./0002_projects.ts"
import projectDocuments from "./0003_project_documents.ts"
import budgetVersions from "./0004_budget_versions.ts"
import auditResults from "./0005_audit_results.ts"
import chatHistory from "./0006_chat_history.ts"
import backgroundJobs from "./0007_background_jobs.ts"
import knowledgeBase from "./0008_knowledge_base.ts"
import projectEvents from "./0009_project_events.ts"
import activityLog from "./0010_activity_log.ts"
import analyticsViews from "./0011_analytics_views.ts"
import backgroundJobsHandoff from "./0012_background_jobs_handoff.ts"
import backgroundJobsUncountedAttempts from "./0013_background_jobs_uncounted_attempts.ts"

/** Keyed `<id>_<name>` as `Migrator.fromRecord` expects; add new files here with the next id. */
export const migrations = {
  "0001_users": users,
  "0002_projects": projects,
  "0003_project_documents": projectDocuments,
  "0004_budget_versions": budgetVersions,
  "0005_audit_results": auditResults,
  "0006_chat_history": chatHistory,
  "0007_background_jobs": backgroundJobs,
  "0008_knowledge_base": knowledgeBase,
  "0009_project_events": projectEvents,
  "0010_activity_log": activityLog,
  "0011_analytics_views": analyticsViews,
  "0012_background_jobs_handoff": backgroundJobsHandoff,
  "0013_background_jobs_uncounted_attempts": backgroundJobsUncountedAttempts
}

export const loader: Migrator.Loader = Migrator.fromRecord(migrations)
