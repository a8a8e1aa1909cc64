/**
 * Only same-site paths may be used as a post-sign-in destination ("/tasks", not "//evil.example"
 * or "https://…"); anything else becomes "/".
 */
export function safeRedirectPath(value: unknown): string {
  if (typeof value !== "string" || value.length > 512) return "/";
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  if (/[\u0000-\u001f\\]/.test(value)) return "/";
  return value;
}
