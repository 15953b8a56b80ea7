// The transport's body limit for the upload route: the file limit (MAX_UPLOAD_BYTES) plus room for the multipart
// envelope, so an oversized upload is refused from its Content-Length before a byte is read. Every other route keeps
// the JSON limit (MAX_BODY_BYTES).

/** Boundaries and part headers around the file; the file itself is held to MAX_UPLOAD_BYTES exactly while stored. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024

const UPLOAD_PATH = /^\/api\/v1\/projects\/[^/?]+\/documents\/?(?:\?.*)?$/

export const uploadBodyLimit =
  (config: { readonly maxUploadBytes: number; readonly maxBodyBytes: number }) =>
  (method: string, url: string): number =>
    method === "POST" && UPLOAD_PATH.test(url) ? config.maxUploadBytes + MULTIPART_OVERHEAD_BYTES : config.maxBodyBytes
