/** Runs anywhere (browser, server, edge): the wire protocol and the rules both sides share. */
export * from "./protocol";
export * from "./channels";
export * from "./close-codes";
export * from "./errors";
export * from "./urls";
