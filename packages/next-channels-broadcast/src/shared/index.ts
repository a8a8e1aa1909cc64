/** Runs anywhere (browser, server, edge): the wire protocol and the rules both sides share. */
export * from "./protocol.js";
export * from "./channels.js";
export * from "./close-codes.js";
export * from "./errors.js";
export * from "./urls.js";
