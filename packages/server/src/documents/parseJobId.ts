// The parse job of a document has a deterministic id, so queueing it twice (a repeated upload, a retried request)
// finds the same job instead of parsing the document again.
import type { DocumentId, JobId } from "@costline/core"

export const parseJobId = (documentId: DocumentId): JobId => `parse:${documentId}` as JobId
