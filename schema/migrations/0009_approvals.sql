CREATE TYPE "public"."case_mode" AS ENUM('instant', 'promised', 'joint', 'agency', 'major_project');--> statement-breakpoint
CREATE TYPE "public"."case_state" AS ENUM('submitted', 'correction', 'accepted', 'refused', 'review', 'decided', 'result_issued', 'delivered', 'closed', 'withdrawn');--> statement-breakpoint
CREATE TYPE "public"."item_change_kind" AS ENUM('publish', 'amend', 'retire');--> statement-breakpoint
CREATE TYPE "public"."item_change_status" AS ENUM('pending', 'approved', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."service_item_status" AS ENUM('draft', 'published', 'retired');--> statement-breakpoint
CREATE TYPE "public"."case_subtask_state" AS ENUM('open', 'done', 'declined');--> statement-breakpoint
CREATE TABLE "case_corrections" (
	"case_id" uuid PRIMARY KEY NOT NULL,
	"materials" text[] NOT NULL,
	"note" text NOT NULL,
	"stage" text NOT NULL,
	"given_by" uuid NOT NULL,
	"given_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "case_events" (
	"id" integer PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "case_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 2147483647 START WITH 1 CACHE 1),
	"case_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"kind" text NOT NULL,
	"detail" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_materials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"code" text NOT NULL,
	"file_name" text NOT NULL,
	"blob_key" text NOT NULL,
	"size" integer NOT NULL,
	"sha256" text NOT NULL,
	"uploaded_by" uuid,
	"uploaded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_pauses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"reason" text NOT NULL,
	"limit_working_days" integer,
	"started_at" timestamp with time zone NOT NULL,
	"ended_at" timestamp with time zone,
	"opened_by" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_ratings" (
	"case_id" uuid PRIMARY KEY NOT NULL,
	"level" smallint NOT NULL,
	"comment" text DEFAULT '' NOT NULL,
	"rated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "case_ratings_level" CHECK ("case_ratings"."level" between 1 and 5)
);
--> statement-breakpoint
CREATE TABLE "case_sequences" (
	"department_id" uuid NOT NULL,
	"day" date NOT NULL,
	"last" integer NOT NULL,
	CONSTRAINT "case_sequences_department_id_day_pk" PRIMARY KEY("department_id","day")
);
--> statement-breakpoint
CREATE TABLE "case_subtasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"department_id" uuid NOT NULL,
	"state" "case_subtask_state" DEFAULT 'open' NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"opinion" text,
	"done_by" uuid,
	"done_at" timestamp with time zone,
	"taken_over_by" uuid,
	"taken_over_at" timestamp with time zone,
	CONSTRAINT "case_subtasks_caseId_departmentId_unique" UNIQUE("case_id","department_id")
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" text NOT NULL,
	"query_code_hash" text NOT NULL,
	"item_id" uuid NOT NULL,
	"item_version" integer NOT NULL,
	"item_code" text NOT NULL,
	"item_name" text NOT NULL,
	"department_id" uuid NOT NULL,
	"window_id" uuid,
	"mode" "case_mode" NOT NULL,
	"channel" text NOT NULL,
	"applicant_id" uuid,
	"applicant" jsonb NOT NULL,
	"request" text DEFAULT '' NOT NULL,
	"state" "case_state" NOT NULL,
	"correction_given" boolean DEFAULT false NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"submitted_at" timestamp with time zone NOT NULL,
	"acceptance_due_at" timestamp with time zone NOT NULL,
	"accepted_at" timestamp with time zone,
	"deemed_accepted" boolean DEFAULT false NOT NULL,
	"clock_starts_at" timestamp with time zone,
	"promised_working_days" integer NOT NULL,
	"warning_working_days" integer NOT NULL,
	"due_at" timestamp with time zone,
	"warn_at" timestamp with time zone,
	"announced_colour" text,
	"refusal_reasons" text[],
	"decision" text,
	"decision_reasons" text[],
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"result_number" text,
	"result" jsonb,
	"result_sha256" text,
	"result_signature" "bytea",
	"result_signer" text,
	"result_issued_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"withdrawn_at" timestamp with time zone,
	"payment_notice_id" uuid,
	"pay_before_result" boolean DEFAULT false NOT NULL,
	"paid_at" timestamp with time zone,
	"receipt_number" text,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "cases_number_unique" UNIQUE("number")
);
--> statement-breakpoint
CREATE TABLE "delegations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"department_id" uuid NOT NULL,
	"chief_rep_id" uuid NOT NULL,
	"item_codes" text[] NOT NULL,
	"decisions" text[] NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone,
	"reference" text NOT NULL,
	"recorded_by" uuid NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "item_change_requests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"item_id" uuid NOT NULL,
	"kind" "item_change_kind" NOT NULL,
	"status" "item_change_status" DEFAULT 'pending' NOT NULL,
	"content" jsonb,
	"reason" text NOT NULL,
	"requested_by" uuid NOT NULL,
	"requested_at" timestamp with time zone NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"decision_note" text
);
--> statement-breakpoint
CREATE TABLE "rectifications" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"department_id" uuid NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"report" text,
	"done_by" uuid,
	"done_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rectifications_caseId_unique" UNIQUE("case_id")
);
--> statement-breakpoint
CREATE TABLE "service_item_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"item_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"content" jsonb NOT NULL,
	"change_request_id" uuid NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	CONSTRAINT "service_item_versions_itemId_version_unique" UNIQUE("item_id","version")
);
--> statement-breakpoint
CREATE TABLE "service_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"department_id" uuid NOT NULL,
	"status" "service_item_status" DEFAULT 'draft' NOT NULL,
	"draft" jsonb,
	"current_version" integer,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"search_text" text DEFAULT '' NOT NULL,
	CONSTRAINT "service_items_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "supervision_letters" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" text NOT NULL,
	"department_id" uuid NOT NULL,
	"case_id" uuid,
	"subject" text NOT NULL,
	"body" text NOT NULL,
	"reply_due_at" timestamp with time zone NOT NULL,
	"issued_by" uuid NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"reply" text,
	"replied_by" uuid,
	"replied_at" timestamp with time zone,
	CONSTRAINT "supervision_letters_number_unique" UNIQUE("number")
);
--> statement-breakpoint
ALTER TABLE "case_corrections" ADD CONSTRAINT "case_corrections_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_corrections" ADD CONSTRAINT "case_corrections_given_by_accounts_id_fk" FOREIGN KEY ("given_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_events" ADD CONSTRAINT "case_events_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_materials" ADD CONSTRAINT "case_materials_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_materials" ADD CONSTRAINT "case_materials_uploaded_by_accounts_id_fk" FOREIGN KEY ("uploaded_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_pauses" ADD CONSTRAINT "case_pauses_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_pauses" ADD CONSTRAINT "case_pauses_opened_by_accounts_id_fk" FOREIGN KEY ("opened_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_ratings" ADD CONSTRAINT "case_ratings_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_sequences" ADD CONSTRAINT "case_sequences_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_subtasks" ADD CONSTRAINT "case_subtasks_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_subtasks" ADD CONSTRAINT "case_subtasks_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_subtasks" ADD CONSTRAINT "case_subtasks_done_by_accounts_id_fk" FOREIGN KEY ("done_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case_subtasks" ADD CONSTRAINT "case_subtasks_taken_over_by_accounts_id_fk" FOREIGN KEY ("taken_over_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_item_id_service_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."service_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_window_id_windows_id_fk" FOREIGN KEY ("window_id") REFERENCES "public"."windows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_applicant_id_accounts_id_fk" FOREIGN KEY ("applicant_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_decided_by_accounts_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cases" ADD CONSTRAINT "cases_payment_notice_id_payment_notices_id_fk" FOREIGN KEY ("payment_notice_id") REFERENCES "public"."payment_notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_chief_rep_id_accounts_id_fk" FOREIGN KEY ("chief_rep_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delegations" ADD CONSTRAINT "delegations_recorded_by_accounts_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_change_requests" ADD CONSTRAINT "item_change_requests_item_id_service_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."service_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_change_requests" ADD CONSTRAINT "item_change_requests_requested_by_accounts_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "item_change_requests" ADD CONSTRAINT "item_change_requests_decided_by_accounts_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rectifications" ADD CONSTRAINT "rectifications_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rectifications" ADD CONSTRAINT "rectifications_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rectifications" ADD CONSTRAINT "rectifications_done_by_accounts_id_fk" FOREIGN KEY ("done_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_item_versions" ADD CONSTRAINT "service_item_versions_item_id_service_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."service_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_items" ADD CONSTRAINT "service_items_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "service_items" ADD CONSTRAINT "service_items_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supervision_letters" ADD CONSTRAINT "supervision_letters_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supervision_letters" ADD CONSTRAINT "supervision_letters_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "public"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supervision_letters" ADD CONSTRAINT "supervision_letters_issued_by_accounts_id_fk" FOREIGN KEY ("issued_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "supervision_letters" ADD CONSTRAINT "supervision_letters_replied_by_accounts_id_fk" FOREIGN KEY ("replied_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_events_case_id_id_index" ON "case_events" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "case_materials_case_id_index" ON "case_materials" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "case_pauses_case_id_index" ON "case_pauses" USING btree ("case_id");--> statement-breakpoint
CREATE UNIQUE INDEX "case_pauses_one_open" ON "case_pauses" USING btree ("case_id") WHERE "case_pauses"."ended_at" is null;--> statement-breakpoint
CREATE INDEX "case_subtasks_department_id_state_index" ON "case_subtasks" USING btree ("department_id","state");--> statement-breakpoint
CREATE INDEX "cases_open_supervision" ON "cases" USING btree ("department_id","window_id","state","due_at","warn_at") WHERE "cases"."state" in ('submitted', 'correction', 'accepted', 'review');--> statement-breakpoint
CREATE INDEX "cases_window_id_state_submitted_at_index" ON "cases" USING btree ("window_id","state","submitted_at");--> statement-breakpoint
CREATE INDEX "cases_applicant_id_submitted_at_index" ON "cases" USING btree ("applicant_id","submitted_at") WHERE "cases"."applicant_id" is not null;--> statement-breakpoint
CREATE INDEX "cases_department_id_state_submitted_at_index" ON "cases" USING btree ("department_id","state","submitted_at");--> statement-breakpoint
CREATE INDEX "cases_payment_notice_id_index" ON "cases" USING btree ("payment_notice_id") WHERE "cases"."payment_notice_id" is not null;--> statement-breakpoint
CREATE INDEX "delegations_department_id_valid_from_index" ON "delegations" USING btree ("department_id","valid_from");--> statement-breakpoint
CREATE UNIQUE INDEX "item_change_requests_one_pending" ON "item_change_requests" USING btree ("item_id") WHERE "item_change_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "rectifications_department_id_done_at_index" ON "rectifications" USING btree ("department_id","done_at");--> statement-breakpoint
CREATE INDEX "service_items_department_id_index" ON "service_items" USING btree ("department_id");--> statement-breakpoint
CREATE INDEX "supervision_letters_department_id_issued_at_index" ON "supervision_letters" USING btree ("department_id","issued_at");