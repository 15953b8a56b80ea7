// Reads the text messages a WebSocket client sends, from the raw bytes after the upgrade (RFC 6455 frames, masked,
// possibly fragmented and split across TCP chunks), so a test can see what the SDK really put on the wire.
import { Buffer } from "node:buffer"

/** Returns a function to feed client→server bytes to; `onText` gets each complete text message in order. */
export const makeClientFrameReader = (onText: (text: string) => void): ((chunk: Buffer) => void) => {
  let pending = Buffer.alloc(0)
  let fragments: Array<Buffer> = []

  const readFrame = (): boolean => {
    if (pending.length < 2) return false
    const first = pending[0]!
    const second = pending[1]!
    let length = second & 0x7f
    let offset = 2
    if (length === 126) {
      if (pending.length < 4) return false
      length = pending.readUInt16BE(2)
      offset = 4
    } else if (length === 127) {
      if (pending.length < 10) return false
      length = Number(pending.readBigUInt64BE(2))
      offset = 10
    }
    const masked = (second & 0x80) !== 0
    const mask = masked ? pending.subarray(offset, offset + 4) : undefined
    if (masked) offset += 4
    if (pending.length < offset + length) return false

    const payload = Buffer.from(pending.subarray(offset, offset + length))
    if (mask !== undefined) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ mask[i % 4]!
    pending = pending.subarray(offset + length)

    const opcode = first & 0x0f
    // RSV1 means permessage-deflate, which the server does not negotiate; such a frame would be unreadable here.
    if ((first & 0x40) !== 0) throw new Error("compressed WebSocket frame: the test proxy cannot read it")
    if (opcode === 0x1 || opcode === 0x0) {
      fragments.push(payload)
      if ((first & 0x80) !== 0) {
        onText(Buffer.concat(fragments).toString("utf8"))
        fragments = []
      }
    }
    // Binary and control frames (close, ping, pong) carry no RPC messages of the JSON protocol.
    return true
  }

  return (chunk) => {
    pending = Buffer.concat([pending, chunk])
    while (readFrame()) {
      // each pass consumes one frame
    }
  }
}
