DROP TABLE "notification_progress" CASCADE;--> statement-breakpoint
DROP TABLE "notification_revocations" CASCADE;--> statement-breakpoint
DROP TABLE "notifications" CASCADE;