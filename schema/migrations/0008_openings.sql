CREATE TYPE "public"."opening_bid_status" AS ENUM('sealed', 'opened', 'failed', 'withdrawn');--> statement-breakpoint
CREATE TYPE "public"."opening_state" AS ENUM('scheduled', 'sign_in', 'frozen', 'k_drawn', 'decrypting', 'remedy', 'recorded', 'confirming', 'closed', 'failed');--> statement-breakpoint
CREATE TABLE "live_presence" (
	"connection_id" text NOT NULL,
	"room_id" text NOT NULL,
	"instance_id" text NOT NULL,
	"account_id" text NOT NULL,
	"display_name" text NOT NULL,
	"connected_at" timestamp with time zone DEFAULT now() NOT NULL,
	"seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "live_presence_room_id_connection_id_pk" PRIMARY KEY("room_id","connection_id")
);
--> statement-breakpoint
CREATE TABLE "opening_attendance" (
	"tender_id" uuid NOT NULL,
	"account_id" uuid NOT NULL,
	"capacity" text NOT NULL,
	"display_name" text NOT NULL,
	"auth_method" text NOT NULL,
	"signed_in_at" timestamp with time zone NOT NULL,
	CONSTRAINT "opening_attendance_tender_id_account_id_pk" PRIMARY KEY("tender_id","account_id")
);
--> statement-breakpoint
CREATE TABLE "opening_bids" (
	"tender_id" uuid NOT NULL,
	"bidder_id" uuid NOT NULL,
	"submission_id" uuid NOT NULL,
	"bidder_name" text NOT NULL,
	"bond" text NOT NULL,
	"sha256" text,
	"commitment" text,
	"received_at" timestamp with time zone NOT NULL,
	"status" "opening_bid_status" NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_failure" text,
	"failure" text,
	"outcome" text,
	"opening" jsonb,
	"content_key_sealed" text,
	"opened_by" text,
	"opened_at" timestamp with time zone,
	"confirmation" text,
	"confirmed_at" timestamp with time zone,
	CONSTRAINT "opening_bids_tender_id_bidder_id_pk" PRIMARY KEY("tender_id","bidder_id")
);
--> statement-breakpoint
CREATE TABLE "opening_objections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tender_id" uuid NOT NULL,
	"bidder_id" uuid NOT NULL,
	"text" text NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"answer" text,
	"answered_by" uuid,
	"answered_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "opening_record_files" (
	"tender_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"blob_key" text NOT NULL,
	"size" bigint NOT NULL,
	"sha256" text NOT NULL,
	CONSTRAINT "opening_record_files_tender_id_kind_pk" PRIMARY KEY("tender_id","kind")
);
--> statement-breakpoint
CREATE TABLE "openings" (
	"tender_id" uuid PRIMARY KEY NOT NULL,
	"state" "opening_state" DEFAULT 'scheduled' NOT NULL,
	"paused_at" timestamp with time zone,
	"pause_reason" text,
	"k_commitment" text,
	"k_secret_sealed" text,
	"k_secret" text,
	"k_nonce" text,
	"k_value" text,
	"k_drawn_by" uuid,
	"k_drawn_at" timestamp with time zone,
	"frozen_at" timestamp with time zone,
	"window_opens_at" timestamp with time zone,
	"window_ends_at" timestamp with time zone,
	"recorded_at" timestamp with time zone,
	"confirm_until" timestamp with time zone,
	"closed_at" timestamp with time zone,
	"failure_reason" text,
	"record" jsonb,
	"record_sha256" text,
	"video_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "openings_pause_has_reason" CHECK (("openings"."paused_at" is null) = ("openings"."pause_reason" is null))
);
--> statement-breakpoint
ALTER TABLE "opening_attendance" ADD CONSTRAINT "opening_attendance_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_attendance" ADD CONSTRAINT "opening_attendance_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_bids" ADD CONSTRAINT "opening_bids_tender_id_openings_tender_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."openings"("tender_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_bids" ADD CONSTRAINT "opening_bids_bidder_id_accounts_id_fk" FOREIGN KEY ("bidder_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_bids" ADD CONSTRAINT "opening_bids_submission_id_bid_submissions_id_fk" FOREIGN KEY ("submission_id") REFERENCES "public"."bid_submissions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_objections" ADD CONSTRAINT "opening_objections_tender_id_openings_tender_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."openings"("tender_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_objections" ADD CONSTRAINT "opening_objections_bidder_id_accounts_id_fk" FOREIGN KEY ("bidder_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_objections" ADD CONSTRAINT "opening_objections_answered_by_accounts_id_fk" FOREIGN KEY ("answered_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "opening_record_files" ADD CONSTRAINT "opening_record_files_tender_id_openings_tender_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."openings"("tender_id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "openings" ADD CONSTRAINT "openings_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "openings" ADD CONSTRAINT "openings_k_drawn_by_accounts_id_fk" FOREIGN KEY ("k_drawn_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "live_presence_instance_id_index" ON "live_presence" USING btree ("instance_id");--> statement-breakpoint
CREATE INDEX "opening_bids_submission_id_index" ON "opening_bids" USING btree ("submission_id");--> statement-breakpoint
CREATE INDEX "opening_objections_tender_id_index" ON "opening_objections" USING btree ("tender_id");--> statement-breakpoint
CREATE INDEX "opening_objections_bidder_id_index" ON "opening_objections" USING btree ("bidder_id");