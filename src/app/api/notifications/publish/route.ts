/**
 * The HTTP publish endpoint (see `createPublishHandler`): on when NOTIFICATIONS_API_KEY is set.
 *
 *   curl -X POST http://localhost:3000/api/notifications/publish \
 *     -H "Authorization: Bearer $NOTIFICATIONS_API_KEY" -H "Content-Type: application/json" \
 *     -d '{"audience":"user","username":"alice","text":"Hello","level":"success"}'
 */
import { demoTargetResolvers } from "@/db/notification-targets";
import { createPublishHandler } from "next-channels-broadcast/server";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export const POST = createPublishHandler(demoTargetResolvers);
