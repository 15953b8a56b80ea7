// Stores uploaded documents and exports by content: the key is the SHA-256 of the bytes, so the same bytes are kept
// once. Local directory now (COSTLINE_DATA_DIR/blobs, or BLOB_DIR); S3-compatible storage can come behind the same
// interface.
import { createHash, randomUUID } from "node:crypto"
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"
import { Context, Effect, Layer, Option, Schema } from "effect"
import { AppConfig } from "../config/AppConfig.ts"

export class BlobStoreError extends Schema.TaggedError<BlobStoreError>()("BlobStoreError", {
  operation: Schema.String,
  key: Schema.String,
  message: Schema.String
}) {}

export interface StoredBlob {
  /** Lowercase hex SHA-256 of the bytes. */
  readonly key: string
  readonly size: number
}

const KEY = /^[0-9a-f]{64}$/

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

export class BlobStore extends Context.Service<
  BlobStore,
  {
    /** Idempotent: storing the same bytes twice keeps one copy and returns the same key. */
    readonly put: (bytes: Uint8Array) => Effect.Effect<StoredBlob, BlobStoreError>
    readonly get: (key: string) => Effect.Effect<Option.Option<Uint8Array>, BlobStoreError>
    readonly exists: (key: string) => Effect.Effect<boolean, BlobStoreError>
  }
>()("@costline/server/BlobStore") {
  /** A local directory; files are written to a temporary name and renamed, so a reader never sees half a blob. */
  static readonly layerDirectory = (directory: string) =>
    Layer.effect(
      BlobStore,
      Effect.gen(function* () {
        const root = resolve(directory)
        yield* Effect.tryPromise({
          try: () => mkdir(join(root, "tmp"), { recursive: true }),
          catch: (cause) =>
            new BlobStoreError({ operation: "init", key: "", message: `cannot create ${root}: ${String(cause)}` })
        })
        // Two levels of fan-out keep directories small with millions of blobs.
        const pathOf = (key: string) => join(root, key.slice(0, 2), key.slice(2, 4), key)
        const failure = (operation: string, key: string) => (cause: unknown) =>
          new BlobStoreError({ operation, key, message: String(cause) })
        const checkKey = (key: string) =>
          KEY.test(key)
            ? Effect.succeed(key)
            : Effect.fail(new BlobStoreError({ operation: "get", key, message: "not a SHA-256 blob key" }))

        const exists = (key: string) =>
          Effect.flatMap(checkKey(key), (valid) =>
            Effect.tryPromise({
              try: () => stat(pathOf(valid)).then(() => true, () => false),
              catch: failure("exists", key)
            })
          )

        const put = (bytes: Uint8Array) =>
          Effect.gen(function* () {
            const key = sha256Hex(bytes)
            if (yield* exists(key)) return { key, size: bytes.byteLength }
            const target = pathOf(key)
            const temporary = join(root, "tmp", `${key}.${randomUUID()}`)
            yield* Effect.tryPromise({
              try: async () => {
                await mkdir(join(target, ".."), { recursive: true })
                await writeFile(temporary, bytes)
                await rename(temporary, target)
              },
              catch: failure("put", key)
            }).pipe(Effect.onError(() => Effect.promise(() => rm(temporary, { force: true }))))
            return { key, size: bytes.byteLength }
          })

        const get = (key: string) =>
          Effect.flatMap(checkKey(key), (valid) =>
            Effect.tryPromise({
              try: () =>
                readFile(pathOf(valid)).then(
                  (buffer) => Option.some(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)),
                  (error: NodeJS.ErrnoException) => {
                    if (error.code === "ENOENT") return Option.none<Uint8Array>()
                    throw error
                  }
                ),
              catch: failure("get", key)
            })
          )

        return BlobStore.of({ put, get, exists })
      })
    )

  /** AppConfig.blobDir. Every server and worker process must see the same directory. */
  static readonly layer = Layer.unwrap(
    Effect.gen(function* () {
      const config = yield* AppConfig
      return BlobStore.layerDirectory(config.blobDir)
    })
  )
}
