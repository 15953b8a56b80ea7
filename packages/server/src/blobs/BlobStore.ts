// Stores uploaded documents and exports by content: the key is the SHA-256 of the bytes, so the same bytes are kept
// once. Local directory now (COSTLINE_DATA_DIR/blobs, or BLOB_DIR); S3-compatible storage can come behind the same
// interface.
import { createHash, randomUUID } from "node:crypto"
import { createReadStream } from "node:fs"
import { type FileHandle, mkdir, open, readFile, rename, rm, stat, writeFile } from "node:fs/promises"
import { join, resolve } from "node:path"
import * as NodeStream from "@effect/platform-node/NodeStream"
import { Context, Effect, Layer, Option, Schema, Stream } from "effect"
import { AppConfig } from "../config/AppConfig.ts"

export class BlobStoreError extends Schema.TaggedError<BlobStoreError>()("BlobStoreError", {
  operation: Schema.String,
  key: Schema.String,
  message: Schema.String
}) {}

/** A streamed put that went past its `maxBytes`; nothing is kept. */
export class BlobTooLarge extends Schema.TaggedError<BlobTooLarge>()("BlobTooLarge", {
  maxBytes: Schema.Number
}) {}

export interface StoredBlob {
  /** Lowercase hex SHA-256 of the bytes. */
  readonly key: string
  readonly size: number
}

const KEY = /^[0-9a-f]{64}$/

// FileHandle.write may write less than asked; loop until the chunk is on disk.
const writeAll = async (handle: FileHandle, chunk: Uint8Array) => {
  let offset = 0
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset)
    offset += bytesWritten
  }
}

export const sha256Hex = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")

export class BlobStore extends Context.Service<
  BlobStore,
  {
    /** Idempotent: storing the same bytes twice keeps one copy and returns the same key. */
    readonly put: (bytes: Uint8Array) => Effect.Effect<StoredBlob, BlobStoreError>
    /**
     * Stores bytes as they arrive (an upload): hashed and written to a temporary file in one pass, renamed to their key
     * at the end, so memory stays at one chunk. Past `maxBytes` it stops with BlobTooLarge; any failure of the
     * stream removes the temporary file.
     */
    readonly putStream: <E>(
      content: Stream.Stream<Uint8Array, E>,
      options?: { readonly maxBytes?: number | undefined }
    ) => Effect.Effect<StoredBlob, E | BlobStoreError | BlobTooLarge>
    /** Whole blob in memory (a parser needs all of it anyway). */
    readonly get: (key: string) => Effect.Effect<Option.Option<Uint8Array>, BlobStoreError>
    /** The blob as a stream of chunks read from disk, with its size; for serving downloads. */
    readonly stream: (
      key: string
    ) => Effect.Effect<
      Option.Option<{ readonly size: number; readonly content: Stream.Stream<Uint8Array, BlobStoreError> }>,
      BlobStoreError
    >
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
              try: () =>
                stat(pathOf(valid)).then(
                  () => true,
                  () => false
                ),
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

        // Moves a finished temporary file to its key; a blob already there has the same bytes, so the copy is dropped.
        // rename() replaces atomically, so two uploads of the same bytes racing here both end with one whole file.
        const settle = (temporary: string, key: string) =>
          Effect.tryPromise({
            try: async () => {
              const target = pathOf(key)
              const present = await stat(target).then(
                () => true,
                () => false
              )
              if (present) return rm(temporary, { force: true })
              await mkdir(join(target, ".."), { recursive: true })
              await rename(temporary, target)
            },
            catch: failure("put", key)
          })

        const putStream = <E>(
          content: Stream.Stream<Uint8Array, E>,
          options: { readonly maxBytes?: number | undefined } = {}
        ): Effect.Effect<StoredBlob, E | BlobStoreError | BlobTooLarge> => {
          const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY
          const temporary = join(root, "tmp", randomUUID())
          return Effect.gen(function* () {
            const handle = yield* Effect.acquireRelease(
              Effect.tryPromise({ try: () => open(temporary, "wx"), catch: failure("put", "") }),
              (file) => Effect.promise(() => file.close())
            )
            const hash = createHash("sha256")
            let size = 0
            yield* Stream.runForEach(content, (chunk): Effect.Effect<void, BlobStoreError | BlobTooLarge> => {
              size += chunk.byteLength
              if (size > maxBytes) return Effect.fail(new BlobTooLarge({ maxBytes }))
              hash.update(chunk)
              return Effect.tryPromise({ try: () => writeAll(handle, chunk), catch: failure("put", "") })
            })
            const key = hash.digest("hex")
            yield* settle(temporary, key)
            return { key, size }
          }).pipe(
            Effect.scoped,
            Effect.onError(() => Effect.promise(() => rm(temporary, { force: true })))
          )
        }

        const stream = (key: string) =>
          Effect.flatMap(checkKey(key), (valid) =>
            Effect.tryPromise({
              try: () =>
                stat(pathOf(valid)).then(
                  (found) => Option.some(found.size),
                  (error: NodeJS.ErrnoException) => {
                    if (error.code === "ENOENT") return Option.none<number>()
                    throw error
                  }
                ),
              catch: failure("stream", key)
            }).pipe(
              Effect.map(
                Option.map((size) => ({
                  size,
                  content: NodeStream.fromReadable<Uint8Array, BlobStoreError>({
                    evaluate: () => createReadStream(pathOf(valid), { highWaterMark: 256 * 1024 }),
                    onError: failure("stream", key)
                  })
                }))
              )
            )
          )

        return BlobStore.of({ put, putStream, get, stream, exists })
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
