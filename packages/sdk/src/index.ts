// @costline/sdk: the typed Costline client for browsers, Node 22 and Deno 2 — an Effect API (CostlineClient,
// CostlineAuth) and a Promise API (createCostline) over the same core. Imports only @costline/core/contracts/* (never the
// domain code and its parsers) and effect.

// The contract errors, re-exported so `instanceof NotFound` works with one import.
export { Conflict, InvalidRequest, NotFound, Unauthorized } from "@costline/core/contracts/ApiErrors"
// The contract types a caller handles, so a Promise-API app needs only this package.
export type { JobId, ProjectId, UserId } from "@costline/core/contracts/Ids"
export type { Job } from "@costline/core/contracts/Job"
export type { CreateProjectPayload, Project, ProjectPage } from "@costline/core/contracts/Project"
export type { ProjectEvent, ResyncRequired, SubscriptionItem } from "@costline/core/contracts/ProjectEvent"
export type { AuthResponse, LoginPayload, RegisterPayload, User } from "@costline/core/contracts/User"
export { ConnectionError, type CostlineError, ServerError } from "./ClientErrors.ts"
export { CostlineAuth, type CostlineAuthOptions } from "./CostlineAuth.ts"
export {
  CostlineClient,
  type CostlineClientOptions,
  type ListJobsOptions,
  type ListProjectsOptions,
  type SubscribeOptions
} from "./CostlineClient.ts"
export { type CostlineHttpApi, type HttpApiOptions, makeHttpApi } from "./CostlineHttp.ts"
export { type Costline, type CostlineConnection, type CreateCostlineOptions, createCostline } from "./createCostline.ts"
export type { ProjectSubscription, ProjectSubscriptionOptions } from "./ProjectSubscription.ts"
export type { CostlineRpcClient } from "./RpcConnection.ts"
export { toCostlineError, withCostlineErrors } from "./toCostlineError.ts"
