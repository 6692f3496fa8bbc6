CREATE TYPE "public"."sms_status" AS ENUM('queued', 'sending', 'sent', 'failed');--> statement-breakpoint
CREATE TYPE "public"."code_purpose" AS ENUM('register', 'recover');--> statement-breakpoint
CREATE TYPE "public"."registration_state" AS ENUM('pending', 'approved', 'refused', 'activated');--> statement-breakpoint
ALTER TYPE "public"."account_status" ADD VALUE 'pending';--> statement-breakpoint
CREATE TABLE "inbox_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"recipient_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"link" text,
	"created_at" timestamp with time zone NOT NULL,
	"read_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "simulated_sms_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"outbox_id" uuid NOT NULL,
	"phone" text NOT NULL,
	"text" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sms_outbox" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"recipient_id" uuid,
	"phone" text NOT NULL,
	"kind" text NOT NULL,
	"text" text,
	"secret" boolean DEFAULT false NOT NULL,
	"driver" text NOT NULL,
	"status" "sms_status" DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"last_error" text,
	"gateway_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "one_time_codes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"purpose" "code_purpose" NOT NULL,
	"phone" text NOT NULL,
	"client_ip" text NOT NULL,
	"code_hash" text NOT NULL,
	"sent_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "organisation_registrations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"role" text NOT NULL,
	"state" "registration_state" DEFAULT 'pending' NOT NULL,
	"reason" text,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "organisation_registrations_accountId_unique" UNIQUE("account_id")
);
--> statement-breakpoint
ALTER TABLE "accounts" ADD COLUMN "phone_confirmed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "inbox_messages" ADD CONSTRAINT "inbox_messages_recipient_id_accounts_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sms_outbox" ADD CONSTRAINT "sms_outbox_recipient_id_accounts_id_fk" FOREIGN KEY ("recipient_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "one_time_codes" ADD CONSTRAINT "one_time_codes_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organisation_registrations" ADD CONSTRAINT "organisation_registrations_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organisation_registrations" ADD CONSTRAINT "organisation_registrations_decided_by_accounts_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "inbox_messages_recipient_id_created_at_index" ON "inbox_messages" USING btree ("recipient_id","created_at");--> statement-breakpoint
CREATE INDEX "simulated_sms_messages_phone_received_at_index" ON "simulated_sms_messages" USING btree ("phone","received_at");--> statement-breakpoint
CREATE INDEX "simulated_sms_messages_outbox_id_index" ON "simulated_sms_messages" USING btree ("outbox_id");--> statement-breakpoint
CREATE INDEX "sms_outbox_recipient_id_index" ON "sms_outbox" USING btree ("recipient_id");--> statement-breakpoint
CREATE INDEX "sms_outbox_status_next_attempt_at_index" ON "sms_outbox" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "one_time_codes_account_id_purpose_index" ON "one_time_codes" USING btree ("account_id","purpose");--> statement-breakpoint
CREATE INDEX "one_time_codes_phone_sent_at_index" ON "one_time_codes" USING btree ("phone","sent_at");--> statement-breakpoint
CREATE INDEX "one_time_codes_client_ip_sent_at_index" ON "one_time_codes" USING btree ("client_ip","sent_at");--> statement-breakpoint
CREATE INDEX "organisation_registrations_decided_by_index" ON "organisation_registrations" USING btree ("decided_by");--> statement-breakpoint
CREATE INDEX "organisation_registrations_state_index" ON "organisation_registrations" USING btree ("state");