CREATE TYPE "public"."expert_status" AS ENUM('active', 'withdrawn');--> statement-breakpoint
CREATE TYPE "public"."expert_title" AS ENUM('senior', 'associate_senior', 'intermediate', 'none');--> statement-breakpoint
CREATE TYPE "public"."penalty_kind" AS ENUM('penalty', 'suspension');--> statement-breakpoint
CREATE TYPE "public"."profile_change_state" AS ENUM('pending', 'approved', 'refused');--> statement-breakpoint
CREATE TYPE "public"."relation_kind" AS ENUM('relative', 'shareholding', 'other');--> statement-breakpoint
CREATE TYPE "public"."specialty_branch" AS ENUM('works', 'goods', 'services');--> statement-breakpoint
CREATE TYPE "public"."drawing_state" AS ENUM('requested', 'approved', 'refused', 'drawn', 'failed', 'cancelled', 'published');--> statement-breakpoint
CREATE TYPE "public"."drawn_role" AS ENUM('member', 'reserve');--> statement-breakpoint
CREATE TYPE "public"."drawn_state" AS ENUM('standby', 'invited', 'confirmed', 'declined', 'no_answer', 'recused');--> statement-breakpoint
CREATE TABLE "expert_employments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"expert_id" uuid NOT NULL,
	"organisation_name" text NOT NULL,
	"credit_code" text NOT NULL,
	"department_id" uuid,
	"from_date" date NOT NULL,
	"to_date" date,
	CONSTRAINT "expert_employments_dates" CHECK ("expert_employments"."to_date" is null or "expert_employments"."to_date" >= "expert_employments"."from_date")
);
--> statement-breakpoint
CREATE TABLE "expert_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"imported_by" uuid NOT NULL,
	"file_sha256" text NOT NULL,
	"rows" integer NOT NULL,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "expert_penalties" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"expert_id" uuid NOT NULL,
	"kind" "penalty_kind" NOT NULL,
	"reason" text NOT NULL,
	"from_date" date NOT NULL,
	"to_date" date,
	"recorded_by" uuid,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "expert_penalties_dates" CHECK ("expert_penalties"."to_date" is null or "expert_penalties"."to_date" >= "expert_penalties"."from_date")
);
--> statement-breakpoint
CREATE TABLE "expert_profile_changes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"expert_id" uuid NOT NULL,
	"change" jsonb NOT NULL,
	"state" "profile_change_state" DEFAULT 'pending' NOT NULL,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"refusal_reason" text
);
--> statement-breakpoint
CREATE TABLE "expert_relations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"expert_id" uuid NOT NULL,
	"kind" "relation_kind" NOT NULL,
	"organisation_name" text NOT NULL,
	"credit_code" text NOT NULL,
	"note" text,
	"declared_at" timestamp with time zone DEFAULT now() NOT NULL,
	"ended_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "expert_specialties" (
	"expert_id" uuid NOT NULL,
	"specialty_code" text NOT NULL,
	CONSTRAINT "expert_specialties_expert_id_specialty_code_pk" PRIMARY KEY("expert_id","specialty_code")
);
--> statement-breakpoint
CREATE TABLE "expert_unavailability" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"expert_id" uuid NOT NULL,
	"from_date" date NOT NULL,
	"to_date" date NOT NULL,
	"reason" text,
	CONSTRAINT "expert_unavailability_dates" CHECK ("expert_unavailability"."to_date" >= "expert_unavailability"."from_date")
);
--> statement-breakpoint
CREATE TABLE "experts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"code" text NOT NULL,
	"full_name" text NOT NULL,
	"title" "expert_title" NOT NULL,
	"practice_since" smallint NOT NULL,
	"region_code" text NOT NULL,
	"status" "expert_status" DEFAULT 'active' NOT NULL,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "experts_code_unique" UNIQUE("code"),
	CONSTRAINT "experts_region_code" CHECK ("experts"."region_code" ~ '^[0-9]{6}$')
);
--> statement-breakpoint
CREATE TABLE "specialties" (
	"code" text PRIMARY KEY NOT NULL,
	"parent_code" text,
	"branch" "specialty_branch" NOT NULL,
	"level" smallint NOT NULL,
	"name" text NOT NULL,
	"name_en" text,
	CONSTRAINT "specialties_level" CHECK ("specialties"."level" between 1 and 3)
);
--> statement-breakpoint
CREATE TABLE "drawing_snapshots" (
	"drawing_id" uuid NOT NULL,
	"line" integer NOT NULL,
	"specialty_code" text NOT NULL,
	"eligible" jsonb NOT NULL,
	"excluded" jsonb NOT NULL,
	CONSTRAINT "drawing_snapshots_drawing_id_line_pk" PRIMARY KEY("drawing_id","line")
);
--> statement-breakpoint
CREATE TABLE "drawings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tender_id" uuid NOT NULL,
	"state" "drawing_state" DEFAULT 'requested' NOT NULL,
	"requested_by" uuid NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"request" jsonb NOT NULL,
	"evaluation_at" timestamp with time zone NOT NULL,
	"evaluation_place" text,
	"supervising_department_id" uuid,
	"draw_from" timestamp with time zone NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"refusal_reason" text,
	"commitment" text,
	"secret_sealed" text,
	"secret" text,
	"nonce" text,
	"nonce_given_by" uuid,
	"drawn_at" timestamp with time zone,
	"pool_sha256" text,
	"list_sha256" text,
	"failure" jsonb,
	"cancelled_by" uuid,
	"published_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "drawn_experts" (
	"drawing_id" uuid NOT NULL,
	"expert_id" uuid NOT NULL,
	"pseudonym" text NOT NULL,
	"line" integer NOT NULL,
	"position" integer NOT NULL,
	"role" "drawn_role" NOT NULL,
	"state" "drawn_state" NOT NULL,
	"invited_at" timestamp with time zone,
	"answer_by" timestamp with time zone,
	"answered_at" timestamp with time zone,
	"replaced_by" uuid,
	"reason" text,
	CONSTRAINT "drawn_experts_drawing_id_expert_id_pk" PRIMARY KEY("drawing_id","expert_id"),
	CONSTRAINT "drawn_experts_position" CHECK ("drawn_experts"."position" >= 0)
);
--> statement-breakpoint
ALTER TABLE "expert_employments" ADD CONSTRAINT "expert_employments_expert_id_experts_id_fk" FOREIGN KEY ("expert_id") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_employments" ADD CONSTRAINT "expert_employments_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_imports" ADD CONSTRAINT "expert_imports_imported_by_accounts_id_fk" FOREIGN KEY ("imported_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_penalties" ADD CONSTRAINT "expert_penalties_expert_id_experts_id_fk" FOREIGN KEY ("expert_id") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_penalties" ADD CONSTRAINT "expert_penalties_recorded_by_accounts_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_profile_changes" ADD CONSTRAINT "expert_profile_changes_expert_id_experts_id_fk" FOREIGN KEY ("expert_id") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_profile_changes" ADD CONSTRAINT "expert_profile_changes_decided_by_accounts_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_relations" ADD CONSTRAINT "expert_relations_expert_id_experts_id_fk" FOREIGN KEY ("expert_id") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_specialties" ADD CONSTRAINT "expert_specialties_expert_id_experts_id_fk" FOREIGN KEY ("expert_id") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_specialties" ADD CONSTRAINT "expert_specialties_specialty_code_specialties_code_fk" FOREIGN KEY ("specialty_code") REFERENCES "public"."specialties"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_unavailability" ADD CONSTRAINT "expert_unavailability_expert_id_experts_id_fk" FOREIGN KEY ("expert_id") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "experts" ADD CONSTRAINT "experts_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "experts" ADD CONSTRAINT "experts_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawing_snapshots" ADD CONSTRAINT "drawing_snapshots_drawing_id_drawings_id_fk" FOREIGN KEY ("drawing_id") REFERENCES "public"."drawings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawings" ADD CONSTRAINT "drawings_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawings" ADD CONSTRAINT "drawings_requested_by_accounts_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawings" ADD CONSTRAINT "drawings_supervising_department_id_departments_id_fk" FOREIGN KEY ("supervising_department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawings" ADD CONSTRAINT "drawings_decided_by_accounts_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawings" ADD CONSTRAINT "drawings_nonce_given_by_accounts_id_fk" FOREIGN KEY ("nonce_given_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawings" ADD CONSTRAINT "drawings_cancelled_by_accounts_id_fk" FOREIGN KEY ("cancelled_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawn_experts" ADD CONSTRAINT "drawn_experts_drawing_id_drawings_id_fk" FOREIGN KEY ("drawing_id") REFERENCES "public"."drawings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawn_experts" ADD CONSTRAINT "drawn_experts_expert_id_experts_id_fk" FOREIGN KEY ("expert_id") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "drawn_experts" ADD CONSTRAINT "drawn_experts_replaced_by_experts_id_fk" FOREIGN KEY ("replaced_by") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "expert_employments_expert_id_index" ON "expert_employments" USING btree ("expert_id");--> statement-breakpoint
CREATE INDEX "expert_employments_credit_code_index" ON "expert_employments" USING btree ("credit_code");--> statement-breakpoint
CREATE INDEX "expert_employments_department_id_index" ON "expert_employments" USING btree ("department_id");--> statement-breakpoint
CREATE INDEX "expert_imports_imported_by_index" ON "expert_imports" USING btree ("imported_by");--> statement-breakpoint
CREATE INDEX "expert_penalties_expert_id_index" ON "expert_penalties" USING btree ("expert_id");--> statement-breakpoint
CREATE INDEX "expert_penalties_recorded_by_index" ON "expert_penalties" USING btree ("recorded_by");--> statement-breakpoint
CREATE INDEX "expert_profile_changes_expert_id_index" ON "expert_profile_changes" USING btree ("expert_id");--> statement-breakpoint
CREATE INDEX "expert_profile_changes_decided_by_index" ON "expert_profile_changes" USING btree ("decided_by");--> statement-breakpoint
CREATE INDEX "expert_profile_changes_state_index" ON "expert_profile_changes" USING btree ("state");--> statement-breakpoint
CREATE INDEX "expert_relations_expert_id_index" ON "expert_relations" USING btree ("expert_id");--> statement-breakpoint
CREATE INDEX "expert_relations_credit_code_index" ON "expert_relations" USING btree ("credit_code");--> statement-breakpoint
CREATE INDEX "expert_specialties_specialty_code_index" ON "expert_specialties" USING btree ("specialty_code");--> statement-breakpoint
CREATE INDEX "expert_unavailability_expert_id_index" ON "expert_unavailability" USING btree ("expert_id");--> statement-breakpoint
CREATE UNIQUE INDEX "experts_account_id_index" ON "experts" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "experts_created_by_index" ON "experts" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "experts_region_code_index" ON "experts" USING btree ("region_code");--> statement-breakpoint
CREATE INDEX "specialties_parent_code_index" ON "specialties" USING btree ("parent_code");--> statement-breakpoint
CREATE INDEX "drawings_tender_id_index" ON "drawings" USING btree ("tender_id");--> statement-breakpoint
CREATE INDEX "drawings_requested_by_index" ON "drawings" USING btree ("requested_by");--> statement-breakpoint
CREATE INDEX "drawings_decided_by_index" ON "drawings" USING btree ("decided_by");--> statement-breakpoint
CREATE INDEX "drawings_nonce_given_by_index" ON "drawings" USING btree ("nonce_given_by");--> statement-breakpoint
CREATE INDEX "drawings_cancelled_by_index" ON "drawings" USING btree ("cancelled_by");--> statement-breakpoint
CREATE INDEX "drawings_supervising_department_id_index" ON "drawings" USING btree ("supervising_department_id");--> statement-breakpoint
CREATE INDEX "drawings_state_evaluation_at_index" ON "drawings" USING btree ("state","evaluation_at");--> statement-breakpoint
CREATE UNIQUE INDEX "drawings_one_live_per_tender" ON "drawings" USING btree ("tender_id") WHERE "drawings"."state" in ('requested', 'approved', 'drawn', 'published');--> statement-breakpoint
CREATE INDEX "drawn_experts_expert_id_state_index" ON "drawn_experts" USING btree ("expert_id","state");--> statement-breakpoint
CREATE INDEX "drawn_experts_replaced_by_index" ON "drawn_experts" USING btree ("replaced_by");--> statement-breakpoint
CREATE UNIQUE INDEX "drawn_experts_drawing_id_line_position_index" ON "drawn_experts" USING btree ("drawing_id","line","position");