CREATE TABLE "notification_revocations" (
	"subject" text PRIMARY KEY NOT NULL,
	"revoked_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "notifications_idempotency_key_idx";--> statement-breakpoint
ALTER TABLE "notification_progress" ADD COLUMN "version" bigint DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX "notification_revocations_expires_at_idx" ON "notification_revocations" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_idempotency_scope_idx" ON "notifications" USING btree ("group","kind","idempotency_key") WHERE "notifications"."idempotency_key" is not null;