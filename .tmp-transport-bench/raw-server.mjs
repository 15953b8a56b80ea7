import * as uWS from "uWebSockets.js"
const app = uWS.App()
app.get("/items/:id", (res, req) => { const id = Number(req.getParameter(0)); res.writeStatus("200 OK").writeHeader("content-type", "application/json").end(JSON.stringify({ id, name: "brick" })) })
app.listen("127.0.0.1", 0, (ls) => console.log("PORT", uWS.us_socket_local_port(ls)))
