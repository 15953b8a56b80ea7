// @costline/core must run in browsers: bundled for the browser platform (rolldown, the bundler vitest ships with), the
// whole package and its dependencies resolve, with no node: module, no Node builtin and no Node global (Buffer,
// process) left in the output. A planted Node import shows the check would catch one.

import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import { type RolldownPlugin, rolldown } from "rolldown"

interface BrowserBundle {
  /** Imports the bundle leaves to the runtime (nothing may be left for a browser). */
  readonly externalImports: ReadonlyArray<string>
  /** Bundler warnings and errors, first line, without colours. */
  readonly logs: ReadonlyArray<string>
  /** Rendered code of each module, by module id (path). */
  readonly code: ReadonlyMap<string, string>
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes in the bundler's messages
const ansi = /\u001b\[[0-9;]*m/g

const bundleForBrowser = async (input: string, plugins: ReadonlyArray<RolldownPlugin> = []): Promise<BrowserBundle> => {
  const logs: Array<string> = []
  const bundle = await rolldown({
    input,
    platform: "browser",
    plugins: [...plugins],
    onLog: (level, log) => {
      logs.push(`${level} ${log.code ?? ""}: ${log.message.replace(ansi, "").split("\n")[0]}`)
    }
  })
  const { output } = await bundle.generate({ format: "esm" })
  await bundle.close()
  const chunks = output.flatMap((o) => (o.type === "chunk" ? [o] : []))
  return {
    externalImports: chunks.flatMap((c) => [...c.imports, ...c.dynamicImports]),
    logs,
    code: new Map(chunks.flatMap((c) => Object.entries(c.modules).map(([id, m]) => [id, m.code ?? ""] as const)))
  }
}

const coreSource = fileURLToPath(new URL("../src/", import.meta.url))

/**
 * Everything in a bundle that would not run in a browser: imports left to the runtime, unresolved imports, leftover
 * `require`s and unguarded Node globals anywhere, and in core's own modules any mention of a node: module at all.
 * (Dependencies may probe for Node behind a guard: effect reads `globalThis.process?.getBuiltinModule?.(…)`.)
 */
const nodeLeftovers = (bundle: BrowserBundle): Array<string> => {
  const found = [
    ...bundle.externalImports.map((i) => `external import ${i}`),
    ...bundle.logs.filter((l) => /UNRESOLVED_IMPORT|MISSING_EXPORT|error/i.test(l))
  ]
  for (const [id, code] of bundle.code) {
    const own = id.startsWith(coreSource) || id.startsWith("virtual:")
    const patterns = [/\brequire\(\s*["'][^"']+["']\s*\)/g, /(?<![?\w.])(?:process|Buffer)\.\w+/g]
    if (own) patterns.push(/["']node:[\w/]+["']/g)
    for (const pattern of patterns) for (const m of code.matchAll(pattern)) found.push(`${m[0]} in ${id}`)
  }
  return found
}

const coreIndex = fileURLToPath(new URL("../src/index.ts", import.meta.url))

describe("@costline/core in a browser bundle", () => {
  it("bundles src/index.ts for the browser with every import resolved and nothing from Node", async () => {
    const bundle = await bundleForBrowser(coreIndex)
    expect(nodeLeftovers(bundle)).toEqual([])
    // The whole of core and its parsers is in it (not tree-shaken away or left external).
    const modules = [...bundle.code.keys()]
    for (const part of ["parseBudget.ts", "exportXlsx.ts", "auditPositions.ts", "diffVersions.ts", "applyChanges.ts"])
      expect(
        modules.some((m) => m.endsWith(part)),
        part
      ).toBe(true)
    for (const dependency of ["saxes", "papaparse", "fflate", "effect"])
      expect(
        modules.some((m) => m.includes(`/node_modules/${dependency}/`)),
        dependency
      ).toBe(true)
  })

  it("would catch a node: import, a bare builtin, Node globals and a node: probe in core's own code", async () => {
    const planted: RolldownPlugin = {
      name: "planted-node-import",
      resolveId: (id) => (id === "virtual:planted" ? id : null),
      load: (id) =>
        id === "virtual:planted"
          ? `import { readFileSync } from "node:fs"; import path from "path"; export * from ${JSON.stringify(coreIndex)};
             export const leak = () => [readFileSync, path, Buffer.from("x"), process.env.HOME,
               globalThis.process?.getBuiltinModule?.("node:os")]`
          : null
    }
    const leftovers = nodeLeftovers(await bundleForBrowser("virtual:planted", [planted]))
    expect(leftovers).toEqual(
      expect.arrayContaining([
        "external import node:fs",
        "external import path",
        '"node:os" in virtual:planted',
        "Buffer.from in virtual:planted",
        "process.env in virtual:planted"
      ])
    )
  })
})
