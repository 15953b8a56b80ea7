import { spawn } from "node:child_process"
import autocannon from "autocannon"
const p = spawn(process.execPath, ["--cpu-prof", "--cpu-prof-dir=prof", "uws-server.ts", "uws"], { stdio: ["ignore", "pipe", "inherit"] })
const port = await new Promise((resolve) => p.stdout.on("data", (d) => { const m = /PORT (\d+)/.exec(String(d)); if (m) resolve(Number(m[1])) }))
const r = await autocannon({ url: `http://127.0.0.1:${port}/items/42`, connections: 50, duration: 5 })
console.log("req/s", Math.round(r.requests.average))
p.kill("SIGINT")
await new Promise((r) => p.on("exit", r))
