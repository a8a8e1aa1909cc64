/**
 * HTTP publishing: the publish endpoint (a Next.js route handler) and the request format it
 * shares with the `send-notification` CLI. Node runtime only (it uses `node:crypto`).
 */
export {
  createPublishHandler,
  PUBLISH_ENV_NAMES,
  DEFAULT_PUBLISH_RATE_PER_SECOND,
  MAX_PUBLISH_BODY_BYTES,
  MIN_API_KEY_LENGTH,
  IDEMPOTENCY_KEY_HEADER,
  type PublishHandler,
  type PublishHandlerOptions,
} from "./publish-handler.js";
export {
  parsePublishRequest,
  resolvePublishRequest,
  publishRequestSchema,
  PublishRequestError,
  PUBLISH_KINDS,
  PUBLISH_AUDIENCES,
  BROADCAST_AUDIENCES,
  OBJECT_REF_PATTERN,
  type PublishRequest,
  type PublishRequestErrorCode,
  type PublishKind,
  type PublishAudience,
  type ObjectResolution,
  type TargetResolvers,
  type ResolvedPublish,
} from "./publish-request.js";
