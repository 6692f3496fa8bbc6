CREATE TYPE "public"."bid_submission_kind" AS ENUM('bid', 'withdrawal');--> statement-breakpoint
CREATE TYPE "public"."project_status" AS ENUM('registered', 'accepted', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."tender_document_kind" AS ENUM('tender_documents', 'clarification', 'amendment');--> statement-breakpoint
CREATE TYPE "public"."tender_status" AS ENUM('draft', 'published', 'bidding', 'opening', 'evaluation', 'publicity', 'awarded', 'contracted', 'cancelled', 'failed');--> statement-breakpoint
CREATE TYPE "public"."trade_type" AS ENUM('construction_works', 'procurement_goods', 'procurement_services', 'procurement_works', 'land_use_rights', 'mining_rights', 'state_property');--> statement-breakpoint
CREATE SEQUENCE "public"."project_numbers" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "bid_submissions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tender_id" uuid NOT NULL,
	"bidder_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"kind" "bid_submission_kind" NOT NULL,
	"idempotency_key" text NOT NULL,
	"blob_key" text,
	"size" bigint,
	"sha256" text,
	"commitment" text,
	"signer_fingerprint" text,
	"outer_signature" "bytea",
	"received_at" timestamp with time zone NOT NULL,
	"receipt" text NOT NULL,
	"receipt_cms" "bytea" NOT NULL,
	CONSTRAINT "bid_submissions_tenderId_bidderId_version_unique" UNIQUE("tender_id","bidder_id","version"),
	CONSTRAINT "bid_submissions_tenderId_bidderId_idempotencyKey_unique" UNIQUE("tender_id","bidder_id","idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "bond_guarantees" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tender_id" uuid NOT NULL,
	"bidder_id" uuid NOT NULL,
	"issuer" text NOT NULL,
	"letter_number" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"blob_key" text NOT NULL,
	"sha256" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bond_notices" (
	"tender_id" uuid NOT NULL,
	"bidder_id" uuid NOT NULL,
	"notice_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "bond_notices_noticeId_unique" UNIQUE("notice_id")
);
--> statement-breakpoint
CREATE TABLE "document_downloads" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"registration_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"downloaded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "project_lots" (
	"project_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"name" text NOT NULL,
	"estimate_fen" bigint NOT NULL,
	CONSTRAINT "project_lots_projectId_number_unique" UNIQUE("project_id","number"),
	CONSTRAINT "project_lots_estimate_positive" CHECK ("project_lots"."estimate_fen" > 0)
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"trade_type" "trade_type" NOT NULL,
	"name" text NOT NULL,
	"tenderer_name" text NOT NULL,
	"tenderer_credit_code" text NOT NULL,
	"agency_name" text,
	"estimate_fen" bigint NOT NULL,
	"price_ceiling_fen" bigint,
	"funding_source" text NOT NULL,
	"mandatory_tendering" boolean NOT NULL,
	"details" jsonb NOT NULL,
	"status" "project_status" DEFAULT 'registered' NOT NULL,
	"registered_by" uuid NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp with time zone,
	"rejection_reason" text,
	CONSTRAINT "projects_code_unique" UNIQUE("code"),
	CONSTRAINT "projects_estimate_positive" CHECK ("projects"."estimate_fen" > 0)
);
--> statement-breakpoint
CREATE TABLE "tender_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tender_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"kind" "tender_document_kind" NOT NULL,
	"title" text NOT NULL,
	"body" text DEFAULT '' NOT NULL,
	"file_name" text,
	"blob_key" text,
	"size" bigint,
	"sha256" text,
	"affects_bids" boolean DEFAULT false NOT NULL,
	"deadline_before" timestamp with time zone,
	"deadline_after" timestamp with time zone,
	"issued_by" uuid NOT NULL,
	"issued_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tender_documents_tenderId_version_unique" UNIQUE("tender_id","version")
);
--> statement-breakpoint
CREATE TABLE "tender_objections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tender_id" uuid NOT NULL,
	"objector_id" uuid NOT NULL,
	"objector_name" text NOT NULL,
	"text" text NOT NULL,
	"filed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"answer_due_at" timestamp with time zone NOT NULL,
	"answer" text,
	"answered_by" uuid,
	"answered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tender_questions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tender_id" uuid NOT NULL,
	"asker_id" uuid NOT NULL,
	"question" text NOT NULL,
	"asked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"answer" text,
	"answered_by" uuid,
	"answered_at" timestamp with time zone,
	"clarification_id" uuid
);
--> statement-breakpoint
CREATE TABLE "tender_registrations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tender_id" uuid NOT NULL,
	"bidder_id" uuid NOT NULL,
	"bidder_name" text NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"document_notice_id" uuid,
	"documents_open_at" timestamp with time zone,
	CONSTRAINT "tender_registrations_tenderId_bidderId_unique" UNIQUE("tender_id","bidder_id")
);
--> statement-breakpoint
CREATE TABLE "tenders" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"project_id" uuid NOT NULL,
	"lots" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"title" text NOT NULL,
	"status" "tender_status" DEFAULT 'draft' NOT NULL,
	"mandatory_tendering" boolean NOT NULL,
	"estimate_fen" bigint NOT NULL,
	"price_ceiling_fen" bigint,
	"announcement" text NOT NULL,
	"documents_from" timestamp with time zone NOT NULL,
	"sale_until" timestamp with time zone NOT NULL,
	"bid_deadline" timestamp with time zone NOT NULL,
	"booking_id" uuid,
	"bond_fen" bigint DEFAULT 0 NOT NULL,
	"bond_fee_code" text,
	"document_fee_code" text,
	"document_fee_fen" bigint,
	"max_bid_bytes" bigint NOT NULL,
	"opening_fields" jsonb NOT NULL,
	"evaluation_method" jsonb NOT NULL,
	"decryption_minutes" integer DEFAULT 60 NOT NULL,
	"escrow_plan" jsonb,
	"escrow_id" uuid,
	"timing_warnings" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"paused_since" timestamp with time zone,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"close_reason" text,
	CONSTRAINT "tenders_code_unique" UNIQUE("code"),
	CONSTRAINT "tenders_sale_window" CHECK ("tenders"."sale_until" > "tenders"."documents_from"),
	CONSTRAINT "tenders_bond_nonnegative" CHECK ("tenders"."bond_fen" >= 0)
);
--> statement-breakpoint
CREATE TABLE "venue_bookings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"venue_id" uuid NOT NULL,
	"project_id" uuid NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"booked_by" uuid NOT NULL,
	"booked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"cancelled_at" timestamp with time zone,
	"purpose" text DEFAULT 'opening' NOT NULL,
	CONSTRAINT "venue_bookings_order" CHECK ("venue_bookings"."ends_at" > "venue_bookings"."starts_at")
);
--> statement-breakpoint
CREATE TABLE "venues" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"seats" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "venues_code_unique" UNIQUE("code")
);
--> statement-breakpoint
ALTER TABLE "bid_submissions" ADD CONSTRAINT "bid_submissions_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bid_submissions" ADD CONSTRAINT "bid_submissions_bidder_id_accounts_id_fk" FOREIGN KEY ("bidder_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bond_guarantees" ADD CONSTRAINT "bond_guarantees_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bond_guarantees" ADD CONSTRAINT "bond_guarantees_bidder_id_accounts_id_fk" FOREIGN KEY ("bidder_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bond_notices" ADD CONSTRAINT "bond_notices_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bond_notices" ADD CONSTRAINT "bond_notices_bidder_id_accounts_id_fk" FOREIGN KEY ("bidder_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bond_notices" ADD CONSTRAINT "bond_notices_notice_id_payment_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."payment_notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_downloads" ADD CONSTRAINT "document_downloads_registration_id_tender_registrations_id_fk" FOREIGN KEY ("registration_id") REFERENCES "public"."tender_registrations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "document_downloads" ADD CONSTRAINT "document_downloads_document_id_tender_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."tender_documents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "project_lots" ADD CONSTRAINT "project_lots_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_registered_by_accounts_id_fk" FOREIGN KEY ("registered_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_decided_by_accounts_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_documents" ADD CONSTRAINT "tender_documents_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_documents" ADD CONSTRAINT "tender_documents_issued_by_accounts_id_fk" FOREIGN KEY ("issued_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_objections" ADD CONSTRAINT "tender_objections_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_objections" ADD CONSTRAINT "tender_objections_objector_id_accounts_id_fk" FOREIGN KEY ("objector_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_objections" ADD CONSTRAINT "tender_objections_answered_by_accounts_id_fk" FOREIGN KEY ("answered_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_questions" ADD CONSTRAINT "tender_questions_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_questions" ADD CONSTRAINT "tender_questions_asker_id_accounts_id_fk" FOREIGN KEY ("asker_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_questions" ADD CONSTRAINT "tender_questions_answered_by_accounts_id_fk" FOREIGN KEY ("answered_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_questions" ADD CONSTRAINT "tender_questions_clarification_id_tender_documents_id_fk" FOREIGN KEY ("clarification_id") REFERENCES "public"."tender_documents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_registrations" ADD CONSTRAINT "tender_registrations_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_registrations" ADD CONSTRAINT "tender_registrations_bidder_id_accounts_id_fk" FOREIGN KEY ("bidder_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tender_registrations" ADD CONSTRAINT "tender_registrations_document_notice_id_payment_notices_id_fk" FOREIGN KEY ("document_notice_id") REFERENCES "public"."payment_notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenders" ADD CONSTRAINT "tenders_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenders" ADD CONSTRAINT "tenders_booking_id_venue_bookings_id_fk" FOREIGN KEY ("booking_id") REFERENCES "public"."venue_bookings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenders" ADD CONSTRAINT "tenders_escrow_id_escrows_id_fk" FOREIGN KEY ("escrow_id") REFERENCES "public"."escrows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tenders" ADD CONSTRAINT "tenders_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "venue_bookings" ADD CONSTRAINT "venue_bookings_venue_id_venues_id_fk" FOREIGN KEY ("venue_id") REFERENCES "public"."venues"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "venue_bookings" ADD CONSTRAINT "venue_bookings_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "venue_bookings" ADD CONSTRAINT "venue_bookings_booked_by_accounts_id_fk" FOREIGN KEY ("booked_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bid_submissions_bidder_id_index" ON "bid_submissions" USING btree ("bidder_id");--> statement-breakpoint
CREATE INDEX "bond_guarantees_tender_id_bidder_id_index" ON "bond_guarantees" USING btree ("tender_id","bidder_id");--> statement-breakpoint
CREATE INDEX "bond_guarantees_bidder_id_index" ON "bond_guarantees" USING btree ("bidder_id");--> statement-breakpoint
CREATE INDEX "bond_notices_tender_id_bidder_id_index" ON "bond_notices" USING btree ("tender_id","bidder_id");--> statement-breakpoint
CREATE INDEX "bond_notices_bidder_id_index" ON "bond_notices" USING btree ("bidder_id");--> statement-breakpoint
CREATE INDEX "document_downloads_registration_id_index" ON "document_downloads" USING btree ("registration_id");--> statement-breakpoint
CREATE INDEX "document_downloads_document_id_index" ON "document_downloads" USING btree ("document_id");--> statement-breakpoint
CREATE INDEX "projects_registered_by_index" ON "projects" USING btree ("registered_by");--> statement-breakpoint
CREATE INDEX "projects_decided_by_index" ON "projects" USING btree ("decided_by");--> statement-breakpoint
CREATE INDEX "tender_documents_issued_by_index" ON "tender_documents" USING btree ("issued_by");--> statement-breakpoint
CREATE INDEX "tender_objections_tender_id_index" ON "tender_objections" USING btree ("tender_id");--> statement-breakpoint
CREATE INDEX "tender_objections_objector_id_index" ON "tender_objections" USING btree ("objector_id");--> statement-breakpoint
CREATE INDEX "tender_objections_answered_by_index" ON "tender_objections" USING btree ("answered_by");--> statement-breakpoint
CREATE INDEX "tender_questions_tender_id_index" ON "tender_questions" USING btree ("tender_id");--> statement-breakpoint
CREATE INDEX "tender_questions_asker_id_index" ON "tender_questions" USING btree ("asker_id");--> statement-breakpoint
CREATE INDEX "tender_questions_answered_by_index" ON "tender_questions" USING btree ("answered_by");--> statement-breakpoint
CREATE INDEX "tender_questions_clarification_id_index" ON "tender_questions" USING btree ("clarification_id");--> statement-breakpoint
CREATE INDEX "tender_registrations_bidder_id_index" ON "tender_registrations" USING btree ("bidder_id");--> statement-breakpoint
CREATE INDEX "tender_registrations_document_notice_id_index" ON "tender_registrations" USING btree ("document_notice_id");--> statement-breakpoint
CREATE INDEX "tenders_project_id_index" ON "tenders" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "tenders_created_by_index" ON "tenders" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "tenders_booking_id_index" ON "tenders" USING btree ("booking_id");--> statement-breakpoint
CREATE INDEX "tenders_escrow_id_index" ON "tenders" USING btree ("escrow_id");--> statement-breakpoint
CREATE INDEX "tenders_status_bid_deadline_index" ON "tenders" USING btree ("status","bid_deadline");--> statement-breakpoint
CREATE INDEX "venue_bookings_venue_id_index" ON "venue_bookings" USING btree ("venue_id");--> statement-breakpoint
CREATE INDEX "venue_bookings_project_id_index" ON "venue_bookings" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "venue_bookings_booked_by_index" ON "venue_bookings" USING btree ("booked_by");