ALTER TABLE "ncb_notifications" ADD COLUMN "seen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ncb_notifications" ADD COLUMN "read_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ncb_notifications" ADD COLUMN "archived_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "ncb_notifications" ADD COLUMN "keep_until" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "ncb_notifications_center_idx" ON "ncb_notifications" USING btree ("group","id") WHERE "ncb_notifications"."inbox" and "ncb_notifications"."kind" = 'message';