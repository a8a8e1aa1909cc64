import { describe, expect, it } from "vitest";
import { parseClientFrame } from "../../packages/next-channels-broadcast/src/shared/protocol";
import { isAllowedNotificationURL, sameOriginPath } from "../../packages/next-channels-broadcast/src/shared/urls";
import { parseExtraChannels } from "../../packages/next-channels-broadcast/src/server/gateway/handshake";

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
