// The content-addressed blob directory on a real filesystem: round trips (whole and streamed), one file per content,
// refused keys, the size limit of a streamed put, and concurrent puts of the same bytes.
import { createHash } from "node:crypto"
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join, relative } from "node:path"
import { BlobStore, BlobStoreError } from "@costline/server/blobs/BlobStore"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Stream } from "effect"

/** Every file under `dir`, relative, sorted. */
const filesUnder = (dir: string): Promise<Array<string>> =>
  readdir(dir, { recursive: true, withFileTypes: true }).then((entries) =>
    entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
      .sort()
  )

/** A fresh blob directory for one test, removed afterwards; the test gets its path. */
const withStore = <A, E>(test: (dir: string) => Effect.Effect<A, E, BlobStore>) =>
  Effect.acquireUseRelease(
    Effect.promise(() => mkdtemp(join(tmpdir(), "costline-blobs-"))),
    (dir) => test(dir).pipe(Effect.provide(BlobStore.layerDirectory(dir))),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  )

const bytes = (text: string) => new TextEncoder().encode(text)
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest("hex")
const chunked = (data: Uint8Array, size: number) =>
  Stream.fromIterable(
    Array.from({ length: Math.ceil(data.byteLength / size) }, (_, i) => data.subarray(i * size, (i + 1) * size))
  )

describe("BlobStore", () => {
  it.effect("put then get returns the same bytes under their SHA-256", () =>
    withStore((dir) =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const data = bytes("kód;popis;MJ\n121151113;Sejmutí ornice;m2\n")
        const stored = yield* store.put(data)
        assert.strictEqual(stored.key, sha256(data))
        assert.strictEqual(stored.size, data.byteLength)
        const read = yield* store.get(stored.key)
        assert.deepStrictEqual(
          Option.map(read, (b) => Array.from(b)),
          Option.some(Array.from(data))
        )
        assert.isTrue(yield* store.exists(stored.key))
        // Fanned out by the first two byte pairs of the key.
        const files = yield* Effect.promise(() => filesUnder(dir))
        assert.deepStrictEqual(files, [join(stored.key.slice(0, 2), stored.key.slice(2, 4), stored.key)])
      })
    )
  )

  it.effect("the same bytes twice give the same key and one file", () =>
    withStore((dir) =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const data = bytes("same content")
        const first = yield* store.put(data)
        const second = yield* store.put(data.slice())
        const streamed = yield* store.putStream(chunked(data, 3))
        assert.strictEqual(second.key, first.key)
        assert.strictEqual(streamed.key, first.key)
        const other = yield* store.put(bytes("other content"))
        assert.notStrictEqual(other.key, first.key)
        const files = yield* Effect.promise(() => filesUnder(dir))
        // Two contents, two files; no temporary leftovers.
        assert.deepStrictEqual(files.map((file) => file.split("/").at(-1)).sort(), [first.key, other.key].sort())
      })
    )
  )

  it.effect("a missing key is None, not an error", () =>
    withStore(() =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const missing = "0".repeat(64)
        assert.isTrue(Option.isNone(yield* store.get(missing)))
        assert.isTrue(Option.isNone(yield* store.stream(missing)))
        assert.isFalse(yield* store.exists(missing))
      })
    )
  )

  it.effect("a key that is not a SHA-256 hex digest is refused (no path traversal)", () =>
    withStore(() =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        for (const key of ["../../etc/passwd", "", "A".repeat(64), `${"a".repeat(63)}/`, "a".repeat(65)]) {
          const got = yield* Effect.flip(store.get(key))
          assert.instanceOf(got, BlobStoreError)
          assert.strictEqual(got.key, key)
          assert.instanceOf(yield* Effect.flip(store.exists(key)), BlobStoreError)
          assert.instanceOf(yield* Effect.flip(store.stream(key)), BlobStoreError)
        }
      })
    )
  )

  it.effect("putStream hashes and stores a large stream, and stream() reads it back", () =>
    withStore((dir) =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const data = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 31) % 251)
        const stored = yield* store.putStream(chunked(data, 64 * 1024))
        assert.strictEqual(stored.key, sha256(data))
        assert.strictEqual(stored.size, data.byteLength)
        const onDisk = yield* Effect.promise(() =>
          readFile(join(dir, stored.key.slice(0, 2), stored.key.slice(2, 4), stored.key))
        )
        assert.strictEqual(sha256(onDisk), stored.key)
        const found = yield* store.stream(stored.key)
        assert.isTrue(Option.isSome(found))
        if (Option.isNone(found)) return
        assert.strictEqual(found.value.size, data.byteLength)
        const chunks = yield* Stream.runCollect(found.value.content)
        assert.strictEqual(sha256(Buffer.concat(chunks)), stored.key)
      })
    )
  )

  it.effect("putStream past maxBytes fails with BlobTooLarge and leaves no file", () =>
    withStore((dir) =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const error = yield* Effect.flip(store.putStream(chunked(new Uint8Array(10_000), 1000), { maxBytes: 4096 }))
        assert.strictEqual(error._tag, "BlobTooLarge")
        // Exactly at the limit is fine.
        const atLimit = yield* store.putStream(chunked(new Uint8Array(4096).fill(7), 1000), { maxBytes: 4096 })
        assert.strictEqual(atLimit.size, 4096)
        const files = yield* Effect.promise(() => filesUnder(dir))
        assert.deepStrictEqual(
          files.map((file) => file.split("/").at(-1)),
          [atLimit.key]
        )
      })
    )
  )

  it.effect("a failing source stream leaves no temporary file and surfaces its own error", () =>
    withStore((dir) =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const broken = Stream.concat(Stream.make(bytes("half a file")), Stream.fail("client went away" as const))
        const error = yield* Effect.flip(store.putStream(broken))
        assert.strictEqual(error, "client went away")
        assert.deepStrictEqual(yield* Effect.promise(() => filesUnder(dir)), [])
      })
    )
  )

  it.effect("concurrent puts of the same bytes all succeed with one key and leave one whole file", () =>
    withStore((dir) =>
      Effect.gen(function* () {
        const store = yield* BlobStore
        const data = new Uint8Array(512 * 1024).map((_, i) => i % 253)
        const puts = [
          ...Array.from({ length: 6 }, () => store.put(data.slice())),
          ...Array.from({ length: 6 }, () => store.putStream(chunked(data, 16 * 1024)))
        ]
        const results = yield* Effect.all(puts, { concurrency: "unbounded" })
        assert.deepStrictEqual(new Set(results.map((r) => r.key)), new Set([sha256(data)]))
        const files = yield* Effect.promise(() => filesUnder(dir))
        assert.strictEqual(files.length, 1)
        const onDisk = yield* Effect.promise(() => readFile(join(dir, files[0]!)))
        assert.strictEqual(sha256(onDisk), sha256(data))
      })
    )
  )

  it.effect("layer reads the directory from AppConfig.blobDir", () =>
    Effect.gen(function* () {
      const dir = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "costline-blobs-")))
      const { AppConfig } = yield* Effect.promise(() => import("@costline/server/config/AppConfig"))
      const config = AppConfig.layerFrom({ BLOB_DIR: dir })
      const stored = yield* Effect.gen(function* () {
        return yield* (yield* BlobStore).put(bytes("via config"))
      }).pipe(Effect.provide(BlobStore.layer.pipe(Layer.provide(config))))
      const files = yield* Effect.promise(() => filesUnder(dir))
      yield* Effect.promise(() => rm(dir, { recursive: true, force: true }))
      assert.deepStrictEqual(
        files.map((file) => file.split("/").at(-1)),
        [stored.key]
      )
    })
  )
})
