CREATE TYPE "public"."throttle_scope" AS ENUM('account', 'client');--> statement-breakpoint
CREATE TABLE "sign_in_throttles" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"scope" "throttle_scope" NOT NULL,
	"key" text NOT NULL,
	"failures" integer NOT NULL,
	"first_failure_at" timestamp with time zone NOT NULL,
	"last_failure_at" timestamp with time zone NOT NULL,
	"blocked_until" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "openings" ADD COLUMN "k_deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "openings" ADD COLUMN "k_alarm" text;--> statement-breakpoint
ALTER TABLE "openings" ADD COLUMN "k_drawn_as" text;--> statement-breakpoint
CREATE UNIQUE INDEX "sign_in_throttles_scope_key_index" ON "sign_in_throttles" USING btree ("scope","key");--> statement-breakpoint
ALTER TABLE "accounts" DROP COLUMN "failed_logins";--> statement-breakpoint
ALTER TABLE "accounts" DROP COLUMN "locked_until";--> statement-breakpoint
ALTER TABLE "openings" ADD CONSTRAINT "openings_k_alarm" CHECK ("openings"."k_alarm" in ('yellow', 'red'));--> statement-breakpoint
ALTER TABLE "openings" ADD CONSTRAINT "openings_k_drawn_as" CHECK ("openings"."k_drawn_as" in ('supervisor', 'host'));