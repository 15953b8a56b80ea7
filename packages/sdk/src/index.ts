// @costline/sdk: the typed Costline client for browsers, Node 22 and Deno 2 — an Effect API (CostlineClient,
// CostlineAuth) and a Promise API (createCostline) over the same core. Imports only @costline/core contracts and effect.

// The contract errors, re-exported so `instanceof NotFound` works with one import.
export { Conflict, InvalidRequest, NotFound, Unauthorized } from "@costline/core"
export { ConnectionError, type CostlineError, ServerError } from "./ClientErrors.ts"
export { CostlineAuth, type CostlineAuthOptions } from "./CostlineAuth.ts"
export {
  CostlineClient,
  type CostlineClientOptions,
  type ListProjectsOptions,
  type SubscribeOptions
} from "./CostlineClient.ts"
export { type CostlineHttpApi, type HttpApiOptions, makeHttpApi } from "./CostlineHttp.ts"
export { type Costline, type CostlineConnection, type CreateCostlineOptions, createCostline } from "./createCostline.ts"
export type { ProjectSubscription, ProjectSubscriptionOptions } from "./ProjectSubscription.ts"
export type { CostlineRpcClient } from "./RpcConnection.ts"
export { type ResumeOptions, resumeSubscription } from "./resumeSubscription.ts"
export { toCostlineError, withCostlineErrors, withCostlineStreamErrors } from "./toCostlineError.ts"
