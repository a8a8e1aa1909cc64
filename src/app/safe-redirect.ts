/**
 * Only same-site paths may be used as a post-sign-in destination ("/tasks", not "//evil.example"
 * or "https://…"); anything else becomes "/".
 *
 * The check is the kit's URL rule — resolve as a browser would, then judge — because a string
 * check is not enough: "/.//evil.example/" starts with one slash, yet the browser collapses the
 * dot segment into the protocol-relative path "//evil.example/" and the redirect after sign-in
 * left the site. The path returned is rebuilt from the resolved URL, never the raw input.
 */
import { PLACEHOLDER_ORIGIN, sameOriginPath } from "@/notifications/shared";

export function safeRedirectPath(value: unknown): string {
  if (typeof value !== "string" || value.length > 512 || !value.startsWith("/")) return "/";
  return sameOriginPath(value, PLACEHOLDER_ORIGIN) ?? "/";
}
