import fs from "node:fs"
const file = fs.readdirSync("prof")[0]
const prof = JSON.parse(fs.readFileSync("prof/" + file))
const byId = new Map(prof.nodes.map((n) => [n.id, n]))
const self = new Map()
const idleIds = new Set(prof.nodes.filter(n => ["(idle)","(program)"].includes(n.callFrame.functionName)).map(n => n.id))
const total = prof.samples.filter(s => !idleIds.has(s)).length
const counts = new Map()
for (const s of prof.samples) counts.set(s, (counts.get(s) ?? 0) + 1)
for (const [id, c] of counts) {
  const n = byId.get(id)
  const key = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.replace(/.*node_modules\//, "").replace(/.*\/work\/main\//, "")}:${n.callFrame.lineNumber}`
  self.set(key, (self.get(key) ?? 0) + c)
}
const sorted = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)
for (const [k, v] of sorted) console.log((100 * v / total).toFixed(1).padStart(5), k)

const byFile = new Map()
for (const [id, c] of counts) { if (idleIds.has(id)) continue; const n = byId.get(id); const u = n.callFrame.url; const k = u.includes("transport/") ? "ADAPTER" : u.includes("effect/dist/http-api") ? "effect http-api" : u.includes("effect/dist/http") ? "effect http" : u.includes("effect/dist") ? "effect core" : u === "" ? n.callFrame.functionName : "node/other"; byFile.set(k, (byFile.get(k) ?? 0) + c) }
console.log([...byFile.entries()].sort((a,b)=>b[1]-a[1]).slice(0,12).map(([k,v]) => `${(100*v/total).toFixed(1)} ${k}`).join("\n"))
