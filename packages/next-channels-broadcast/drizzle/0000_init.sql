CREATE TABLE "ncb_notification_progress" (
	"group" text PRIMARY KEY NOT NULL,
	"percent" text NOT NULL,
	"version" bigint DEFAULT 1 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ncb_revocations" (
	"subject" text PRIMARY KEY NOT NULL,
	"revoked_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ncb_notifications" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ncb_notifications_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"group" text NOT NULL,
	"kind" text NOT NULL,
	"frame" text NOT NULL,
	"inbox" boolean NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"acked_at" timestamp with time zone,
	"idempotency_key" text
);
--> statement-breakpoint
CREATE INDEX "ncb_notification_progress_updated_at_idx" ON "ncb_notification_progress" USING btree ("updated_at");--> statement-breakpoint
CREATE INDEX "ncb_revocations_expires_at_idx" ON "ncb_revocations" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "ncb_notifications_recovery_idx" ON "ncb_notifications" USING btree ("group","id") WHERE not "ncb_notifications"."inbox";--> statement-breakpoint
CREATE INDEX "ncb_notifications_inbox_pending_idx" ON "ncb_notifications" USING btree ("group","id") WHERE "ncb_notifications"."inbox" and "ncb_notifications"."acked_at" is null;--> statement-breakpoint
CREATE INDEX "ncb_notifications_expires_at_idx" ON "ncb_notifications" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "ncb_notifications_idempotency_scope_idx" ON "ncb_notifications" USING btree ("group","kind","idempotency_key") WHERE "ncb_notifications"."idempotency_key" is not null;