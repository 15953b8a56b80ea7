import fs from "node:fs"
import { spawn } from "node:child_process"
import autocannon from "autocannon"
const node = process.execPath
const run = (args) => new Promise((resolve) => {
  const p = spawn("taskset", ["-c", "0", node, ...args], { stdio: ["ignore", "pipe", "inherit"] })
  p.stdout.on("data", (d) => { const m = /PORT (\d+)/.exec(String(d)); if (m) resolve({ p, port: Number(m[1]) }) })
})
const bench = async (name, args) => {
  const { p, port } = await run(args)
  const url = `http://127.0.0.1:${port}/items/42`
  console.log(name, await (await fetch(url)).text())
  await autocannon({ url, connections: 50, duration: 2 })
  const cpu = () => { const f = fs.readFileSync(`/proc/${p.pid}/stat`, "utf8").split(") ")[1].split(" "); return (Number(f[11]) + Number(f[12])) * 10 }
  const c0 = cpu(); const cc0 = process.cpuUsage()
  const r = await autocannon({ url, connections: 50, duration: Number(process.env.DUR ?? 6) })
  const ms = cpu() - c0; const cc = process.cpuUsage(cc0); const clientPct = ((cc.user + cc.system) / 1000 / (Number(process.env.DUR ?? 6) * 1000) * 100).toFixed(0)
  console.log(name, "req/s", Math.round(r.requests.average), "p99", r.latency.p99, "errors", r.errors, "non2xx", r.non2xx, "server cpu µs/req", (ms * 1000 / r.requests.total).toFixed(1), "server cpu%", (ms / (Number(process.env.DUR ?? 6) * 10)).toFixed(0), "client cpu%", clientPct)
  p.kill()
}
for (const which of (process.env.WHICH ?? "fastify,uws,node").split(",")) {
  if (which === "fastify") await bench("fastify", ["fastify-server.mjs"])
  if (which === "uws") await bench("uws", ["uws-server.ts", "uws"])
  if (which === "raw") await bench("raw", ["raw-server.mjs"])
  if (which === "router") await bench("uws-router", ["uws-server.ts", "uws", "router"])
  if (which === "node") await bench("node", ["uws-server.ts", "node"])
}
