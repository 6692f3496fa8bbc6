CREATE TYPE "public"."authority_role" AS ENUM('root', 'intermediate');--> statement-breakpoint
CREATE TYPE "public"."certificate_profile" AS ENUM('person', 'organisation', 'seal');--> statement-breakpoint
CREATE TYPE "public"."certificate_source" AS ENUM('issued', 'registered');--> statement-breakpoint
CREATE TABLE "auth_challenges" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"challenge" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "certificates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid,
	"department_id" uuid,
	"profile" "certificate_profile" NOT NULL,
	"source" "certificate_source" NOT NULL,
	"fingerprint" text NOT NULL,
	"issuer_fingerprint" text NOT NULL,
	"serial_hex" text NOT NULL,
	"subject" text NOT NULL,
	"certificate" "bytea" NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"revocation_reason" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "certificates_fingerprint_unique" UNIQUE("fingerprint"),
	CONSTRAINT "certificates_issuerFingerprint_serialHex_unique" UNIQUE("issuer_fingerprint","serial_hex")
);
--> statement-breakpoint
CREATE TABLE "revealed_nonces" (
	"nonce_hash" text PRIMARY KEY NOT NULL,
	"reference" text NOT NULL,
	"revealed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "revocation_lists" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"issuer_fingerprint" text NOT NULL,
	"crl_number" bigint,
	"this_update" timestamp with time zone NOT NULL,
	"next_update" timestamp with time zone,
	"crl" "bytea" NOT NULL,
	"revoked_serials" jsonb NOT NULL,
	"imported_by" uuid,
	"imported_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "trusted_authorities" (
	"fingerprint" text PRIMARY KEY NOT NULL,
	"role" "authority_role" NOT NULL,
	"subject" text NOT NULL,
	"certificate" "bytea" NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"added_by" uuid,
	"added_at" timestamp with time zone DEFAULT now() NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "escrow_shares" (
	"escrow_id" uuid NOT NULL,
	"index" integer NOT NULL,
	"custodian_id" uuid NOT NULL,
	"custodian_certificate" "bytea" NOT NULL,
	"envelope" "bytea" NOT NULL,
	"share_digest" text NOT NULL,
	"sealed_submission" text,
	"submitted_at" timestamp with time zone,
	CONSTRAINT "escrow_shares_escrow_id_index_pk" PRIMARY KEY("escrow_id","index")
);
--> statement-breakpoint
CREATE TABLE "escrows" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"reference" text NOT NULL,
	"threshold" integer NOT NULL,
	"share_count" integer NOT NULL,
	"certificate" "bytea" NOT NULL,
	"not_before" timestamp with time zone NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "platform_keys" ADD COLUMN "certificate" "bytea";--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "certificates" ADD CONSTRAINT "certificates_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "revocation_lists" ADD CONSTRAINT "revocation_lists_imported_by_accounts_id_fk" FOREIGN KEY ("imported_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "trusted_authorities" ADD CONSTRAINT "trusted_authorities_added_by_accounts_id_fk" FOREIGN KEY ("added_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "escrow_shares" ADD CONSTRAINT "escrow_shares_escrow_id_escrows_id_fk" FOREIGN KEY ("escrow_id") REFERENCES "public"."escrows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "escrow_shares" ADD CONSTRAINT "escrow_shares_custodian_id_accounts_id_fk" FOREIGN KEY ("custodian_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "escrows" ADD CONSTRAINT "escrows_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "certificates_account_id_index" ON "certificates" USING btree ("account_id");--> statement-breakpoint
CREATE INDEX "certificates_department_id_index" ON "certificates" USING btree ("department_id");--> statement-breakpoint
CREATE INDEX "revocation_lists_issuer_fingerprint_index" ON "revocation_lists" USING btree ("issuer_fingerprint");--> statement-breakpoint
CREATE INDEX "revocation_lists_imported_by_index" ON "revocation_lists" USING btree ("imported_by");--> statement-breakpoint
CREATE INDEX "trusted_authorities_added_by_index" ON "trusted_authorities" USING btree ("added_by");--> statement-breakpoint
CREATE INDEX "escrow_shares_custodian_id_index" ON "escrow_shares" USING btree ("custodian_id");--> statement-breakpoint
CREATE INDEX "escrows_created_by_index" ON "escrows" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "escrows_reference_index" ON "escrows" USING btree ("reference");