import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { isAllowedNotificationURL, sameOriginPath } from "../../packages/next-channels-broadcast/src/shared/urls";
import type { IncomingMessage } from "node:http";
import { parseExtraChannels, isOriginAllowed, requestQuery } from "../../packages/next-channels-broadcast/src/server/gateway/handshake";
import { parseCookieHeader } from "../../packages/next-channels-broadcast/src/server/auth/session";

describe("client frames", () => {
  it.each([
    ['{"type":"ack_message","id":17}', { type: "ack_message", id: 17 }],
    ['{"type":"ack_message","id":0}', { type: "ack_message", id: 0 }],
    ['{"type":"subscribe","channels":["a-1"]}', { type: "subscribe", channels: ["a-1"] }],
    ['{"type":"unsubscribe","channels":["a-1"],"ref":"r1"}', { type: "unsubscribe", channels: ["a-1"], ref: "r1" }],
    // Releases the earlier subscribe s1 (reference counted on the server).
    ['{"type":"unsubscribe","ref":"s1"}', { type: "unsubscribe", ref: "s1" }],
  ])("accepts %s", (text, frame) => {
    expect(parseClientFrame(text)).toEqual({ ok: true, frame });
  });

  it.each([
    ["not json", "invalid_frame"],
    ["42", "invalid_frame"],
    ["null", "invalid_frame"],
    ['["ack_message"]', "invalid_frame"],
    ['{"type":"ack_message"}', "invalid_frame"],
    ['{"type":"ack_message","id":"17"}', "invalid_frame"],
    ['{"type":"ack_message","id":-1}', "invalid_frame"],
    ['{"type":"ack_message","id":1.5}', "invalid_frame"],
    ['{"type":"subscribe","channels":"a-1"}', "invalid_frame"],
    ['{"type":"unsubscribe"}', "invalid_frame"], // neither channels nor ref
    ['{"type":"shutdown"}', "unknown_type"],
    ["{}", "unknown_type"],
  ])("refuses %s as %s", (text, code) => {
    expect(parseClientFrame(text)).toEqual({ ok: false, code });
  });
});

describe("URLs", () => {
  it.each(["/reports/42", "reports/42?x=1", "#top", "https://example.com/a", "http://localhost:3000/x"])("allows %j", (url) => {
    expect(isAllowedNotificationURL(url)).toBe(true);
  });

  it("keeps same-origin paths and refuses other origins for forced navigation", () => {
    expect(sameOriginPath("/done?x=1#y", "https://app.example")).toBe("/done?x=1#y");
    expect(sameOriginPath("https://app.example/done", "https://app.example")).toBe("/done");
    expect(sameOriginPath("https://evil.example/", "https://app.example")).toBeNull();
    expect(sameOriginPath("javascript:alert(1)", "https://app.example")).toBeNull();
  });
});

describe("?extraChannels=", () => {
  it.each([
    ['["a-1","b-2","a-1"]', ["a-1", "b-2"]],
    ['"articles-1"', []],
    ["42", []],
    ['{"a":1}', []],
    ["[", []],
    ['["ok",5,null,{"x":1}]', ["ok"]],
  ])("reads %s as %j", (raw, expected) => {
    expect(parseExtraChannels(raw, 32)).toEqual(expected);
  });

  it("cuts the list at the limit", () => {
    const many = JSON.stringify(Array.from({ length: 10_000 }, (_, index) => `c-${index}`));
    expect(parseExtraChannels(many, 32)).toHaveLength(32);
  });
});

/** The parts of an upgrade request these checks read. */
function upgradeRequest(url: string, headers: Record<string, string>, encrypted = false): IncomingMessage {
  return { url, headers, socket: { encrypted } } as unknown as IncomingMessage;
}

describe("the handshake's query", () => {
  it.each([
    ["/ws", {}],
    ["/ws?", {}],
    ["/ws?lastId=17&subscription_token=a.b", { lastId: "17", subscription_token: "a.b" }],
    ["/ws?extraChannels=%5B%22articles-1%22%5D", { extraChannels: '["articles-1"]' }],
    ["/ws?a=1+2&b=3#frag?c=4", { a: "1 2", b: "3" }],
    ["/ws?x=%E2%9C%93&bad=%ZZ", { x: "✓", bad: "%ZZ" }],
    ["//evil.example/ws?lastId=3", { lastId: "3" }],
  ])("of %s is %j, as a whole URL would give", (url, expected) => {
    const query = requestQuery(upgradeRequest(url, {}));
    expect(Object.fromEntries(query)).toEqual(expected);
    expect(Object.fromEntries(query)).toEqual(Object.fromEntries(new URL(url, "http://localhost").searchParams));
  });
});

describe("the origin check (no configured list: the request's own origin only)", () => {
  it.each([
    ["http://app.example:3000", "app.example:3000", false, true],
    ["http://APP.example:3000", "app.example:3000", false, true], // not serialized: parsed, then compared
    ["http://app.example:80", "app.example", false, true],
    ["https://app.example", "app.example", true, true],
    ["http://app.example", "app.example", true, false], // the page is https, the Origin http
    ["https://app.example", "app.example", false, false],
    ["http://app.example.evil.example", "app.example", false, false],
    ["http://app.example:3001", "app.example:3000", false, false],
    ["null", "app.example", false, false],
    ["not a url", "app.example", false, false],
  ])("Origin %s to Host %s (TLS %s): %s", (origin, host, tls, allowed) => {
    expect(isOriginAllowed(upgradeRequest("/ws", { origin, host }, tls), [])).toBe(allowed);
  });

  it("refuses an Origin when the request names no host", () => {
    expect(isOriginAllowed(upgradeRequest("/ws", { origin: "http://app.example" }), [])).toBe(false);
  });
});

describe("the Cookie header", () => {
  it("reads each cookie once (first wins), unquoted and percent-decoded where encoded", () => {
    const cookies = parseCookieHeader('a=1; token=eyJhbGciOiJkaXIifQ..x_y-z; a=2; q="quoted"; enc=%E2%9C%93; bad=%ZZ; =nameless; flag');
    expect(Object.fromEntries(cookies)).toEqual({ a: "1", token: "eyJhbGciOiJkaXIifQ..x_y-z", q: "quoted", enc: "✓", bad: "%ZZ" });
  });

  it("is empty without a header", () => {
    expect(parseCookieHeader(undefined).size).toBe(0);
    expect(parseCookieHeader("").size).toBe(0);
  });
});
