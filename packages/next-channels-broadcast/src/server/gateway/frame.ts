/**
 * Frame once per message, not once per socket.
 *
 * `ws.send(buffer)` builds a WebSocket frame header for every socket and writes header and
 * payload as two chunks (cork, write, write, uncork). For a broadcast the frame is the same for
 * every socket: the gateway builds it once and writes that one buffer to each socket
 * (Socket.IO's adapter does the same through engine.io's `wsPreEncodedFrame`).
 *
 * The direct write is used only when it is exactly what `ws.send` would do at that moment:
 * a server socket (frames unmasked), no extension negotiated (the gateway disables
 * permessage-deflate, so nothing is compressed), and ws's sender idle — no queued operation,
 * no fragmented message in progress. Then `ws.send` would itself write synchronously to the
 * socket, so ordering with pings, control frames and close frames is unchanged, and
 * `ws.bufferedAmount` (socket write queue + sender queue) still counts every queued byte.
 * In any other case, or with a ws version whose internals differ, callers fall back to
 * `ws.send`.
 */
import type { WebSocket } from "ws";

/** Sender state "idle" in ws 8 (`DEFAULT` in lib/sender.js). */
const SENDER_IDLE = 0;

interface SenderInternals {
  _state?: unknown;
  _queue?: unknown;
  _firstFragment?: unknown;
}

interface WebSocketInternals {
  _isServer?: unknown;
  _sender?: SenderInternals | null;
  _socket?: { write(chunk: Buffer): boolean; cork?: unknown; uncork?: unknown } | null;
}

/** A frame pre-serialised for many sockets: its payload, and the complete wire frame. */
export interface PreparedFrame {
  /** The UTF-8 JSON payload (what `ws.send` would be given). */
  payload: Buffer;
  /** Header + payload, ready to write (`payload` is a view into it). */
  wire: Buffer;
}

/**
 * Encodes `text` once and frames it once as a final, unmasked text frame (RFC 6455 §5.2:
 * FIN + opcode 1, then a 7-bit, 16-bit or 64-bit payload length). Byte for byte what ws's
 * `Sender.frame(payload, { fin: true, opcode: 1, mask: false, rsv1: false })` produces; the
 * unit tests check it. Built here rather than through `Sender`, which @types/ws does not
 * declare and which the ESM and CommonJS entry points of ws expose differently.
 */
export function prepareTextFrame(text: string): PreparedFrame {
  const length = Buffer.byteLength(text, "utf8");
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10;
  const wire = Buffer.allocUnsafe(headerLength + length);
  wire[0] = 0x81;
  if (length < 126) {
    wire[1] = length;
  } else if (length < 65_536) {
    wire[1] = 126;
    wire.writeUInt16BE(length, 2);
  } else {
    wire[1] = 127;
    wire.writeUInt32BE(Math.floor(length / 2 ** 32), 2);
    wire.writeUInt32BE(length >>> 0, 6);
  }
  wire.write(text, headerLength, "utf8");
  return { payload: wire.subarray(headerLength), wire };
}

/**
 * Whether pre-built frames may ever be written to `ws` directly: a server-side socket without
 * negotiated extensions, on a ws version with the internals checked by `writePreparedFrame`.
 * Fixed for the socket's life (extensions are negotiated in the handshake), so checked once.
 */
export function supportsPreparedFrames(ws: WebSocket): boolean {
  const internals = ws as unknown as WebSocketInternals;
  const sender = internals._sender;
  return (
    internals._isServer === true &&
    ws.extensions === "" &&
    sender != null &&
    typeof sender._state === "number" &&
    Array.isArray(sender._queue) &&
    typeof sender._firstFragment === "boolean" &&
    typeof internals._socket?.write === "function"
  );
}

/**
 * Writes a pre-built frame when ws's sender is idle (what `ws.send` would do right now) and
 * returns true; returns false, writing nothing, when the caller must use `ws.send`.
 * The caller has checked `readyState === OPEN` and `supportsPreparedFrames(ws)`.
 */
export function writePreparedFrame(ws: WebSocket, wire: Buffer): boolean {
  const internals = ws as unknown as WebSocketInternals;
  const sender = internals._sender as SenderInternals;
  if (sender._state !== SENDER_IDLE || sender._firstFragment !== true || (sender._queue as unknown[]).length !== 0) return false;
  (internals._socket as { write(chunk: Buffer): boolean }).write(wire);
  return true;
}

/** The start of a stored frame as `storedWireText` writes it: type, id, and the ack request if any. */
const STORED_PREFIX = /^\{"type":"(?:message|redirect|event|refresh)","id":(\d{1,16})(,"ack":true)?[,}]/;

/**
 * The stored id of a frame and whether it asks for an ack, read from its first bytes (stored
 * frames always start `{"type":…,"id":N` — see `store/wire.ts`), once per message rather than
 * once per socket. Null for frames without an id (progress, live-only sends, control frames).
 *
 * @example
 * readStoredId('{"type":"message","id":17,"ack":true,"text":"hi"}') // { id: 17, ack: true }
 * readStoredId('{"type":"progress","progress":true,"percent":"5%"}')  // null
 */
export function readStoredId(text: string): { id: number; ack: boolean } | null {
  const match = STORED_PREFIX.exec(text);
  if (match === null) return null;
  const id = Number(match[1]);
  return Number.isSafeInteger(id) ? { id, ack: match[2] !== undefined } : null;
}

/**
 * Holds `ws`'s writes back in its TCP socket until `uncorkSocket`, which sends them as one write.
 * False when this ws does not expose its socket (then do not uncork).
 *
 * @example
 * const corked = corkSocket(ws);
 * ws.send(a); ws.send(b);
 * if (corked) uncorkSocket(ws); // a and b leave in one system call
 */
export function corkSocket(ws: WebSocket): boolean {
  const socket = (ws as unknown as WebSocketInternals)._socket;
  if (typeof socket?.cork !== "function" || typeof socket.uncork !== "function") return false;
  (socket as { cork(): void }).cork();
  return true;
}

/** Sends what `corkSocket` held back. */
export function uncorkSocket(ws: WebSocket): void {
  const socket = (ws as unknown as WebSocketInternals)._socket as { uncork?: () => void } | null | undefined;
  socket?.uncork?.();
}

/**
 * Undoes every cork on `ws`'s socket at once, so what is held back (a handshake's 101, a close
 * frame) leaves now. A later `uncorkSocket` of a cork undone here does nothing.
 *
 * @example
 * ws.close(1012, "server restarting");
 * flushSocket(ws); // the close frame goes out even while a join still holds the socket corked
 */
export function flushSocket(ws: WebSocket): void {
  const socket = (ws as unknown as WebSocketInternals)._socket as { uncork?: () => void; writableCorked?: number } | null | undefined;
  while (socket?.uncork && (socket.writableCorked ?? 0) > 0) socket.uncork();
}
