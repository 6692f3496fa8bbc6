CREATE TYPE "public"."ledger_side" AS ENUM('debit', 'credit');--> statement-breakpoint
CREATE TYPE "public"."fee_basis" AS ENUM('fixed', 'per_unit', 'formula');--> statement-breakpoint
CREATE TYPE "public"."fee_category" AS ENUM('non_tax', 'deposit');--> statement-breakpoint
CREATE TYPE "public"."fee_version_status" AS ENUM('proposed', 'approved', 'rejected');--> statement-breakpoint
CREATE TYPE "public"."bank_auth_method" AS ENUM('hmac', 'certificate');--> statement-breakpoint
CREATE TYPE "public"."notice_purpose" AS ENUM('case', 'tender_document', 'bid_bond', 'auction_deposit', 'other');--> statement-breakpoint
CREATE TYPE "public"."notice_status" AS ENUM('issued', 'paid', 'refunded', 'cancelled', 'expired');--> statement-breakpoint
CREATE TYPE "public"."payment_channel" AS ENUM('window', 'bank_callback', 'statement');--> statement-breakpoint
CREATE TYPE "public"."refund_status" AS ENUM('pending', 'paid');--> statement-breakpoint
CREATE TYPE "public"."reconciliation_kind" AS ENUM('missing', 'unexpected', 'amount_mismatch', 'account_mismatch');--> statement-breakpoint
CREATE TYPE "public"."reconciliation_resolution" AS ENUM('record_payment', 'suspense', 'acknowledge');--> statement-breakpoint
CREATE TYPE "public"."reconciliation_status" AS ENUM('open', 'resolved');--> statement-breakpoint
CREATE TYPE "public"."remittance_status" AS ENUM('created', 'confirmed');--> statement-breakpoint
CREATE SEQUENCE "public"."receipt_numbers" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"name_en" text NOT NULL,
	"normal_side" "ledger_side" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ledger_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "ledger_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"transaction_id" uuid NOT NULL,
	"account_code" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	CONSTRAINT "ledger_entries_amount_nonzero" CHECK ("ledger_entries"."amount_fen" <> 0)
);
--> statement-breakpoint
CREATE TABLE "ledger_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"reference" text NOT NULL,
	"business_date" date NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"memo" text DEFAULT '' NOT NULL,
	"reverses_id" uuid,
	"created_by" uuid,
	CONSTRAINT "ledger_transactions_reversesId_unique" UNIQUE("reverses_id")
);
--> statement-breakpoint
CREATE TABLE "fee_item_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"fee_item_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"status" "fee_version_status" NOT NULL,
	"name" text NOT NULL,
	"basis" "fee_basis" NOT NULL,
	"amount_fen" bigint,
	"unit_price_fen" bigint,
	"unit_name" text,
	"quantity_scale" integer,
	"formula" text,
	"parameters" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"legal_basis" text NOT NULL,
	"standard_document" text NOT NULL,
	"receiving_account" text NOT NULL,
	"refund_working_days" integer,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"proposed_by" uuid NOT NULL,
	"proposed_at" timestamp (3) with time zone NOT NULL,
	"decided_by" uuid,
	"decided_at" timestamp (3) with time zone,
	"decision_note" text,
	CONSTRAINT "fee_item_versions_feeItemId_version_unique" UNIQUE("fee_item_id","version"),
	CONSTRAINT "fee_item_versions_amounts" CHECK (coalesce("fee_item_versions"."amount_fen", 0) >= 0 and coalesce("fee_item_versions"."unit_price_fen", 0) >= 0),
	CONSTRAINT "fee_item_versions_validity" CHECK ("fee_item_versions"."valid_to" is null or "fee_item_versions"."valid_to" > "fee_item_versions"."valid_from")
);
--> statement-breakpoint
CREATE TABLE "fee_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"category" "fee_category" NOT NULL,
	"department_id" uuid,
	"created_by" uuid NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "fee_items_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "bank_request_nonces" (
	"bank_id" uuid NOT NULL,
	"nonce" text NOT NULL,
	"received_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "bank_request_nonces_bank_id_nonce_pk" PRIMARY KEY("bank_id","nonce")
);
--> statement-breakpoint
CREATE TABLE "banks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"auth_method" "bank_auth_method" NOT NULL,
	"sealed_hmac_key" text,
	"certificate_fingerprint" text,
	"active" boolean DEFAULT true NOT NULL,
	"created_by" uuid,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "banks_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "payment_notice_items" (
	"notice_id" uuid NOT NULL,
	"line" integer NOT NULL,
	"fee_item_version_id" uuid NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"category" "fee_category" NOT NULL,
	"inputs" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"detail" text DEFAULT '' NOT NULL,
	"amount_fen" bigint NOT NULL,
	"receiving_account" text NOT NULL,
	CONSTRAINT "payment_notice_items_notice_id_line_pk" PRIMARY KEY("notice_id","line"),
	CONSTRAINT "payment_notice_items_amount" CHECK ("payment_notice_items"."amount_fen" > 0)
);
--> statement-breakpoint
CREATE TABLE "payment_notices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"purpose" "notice_purpose" NOT NULL,
	"reference" text NOT NULL,
	"department_id" uuid,
	"window_id" uuid,
	"payer_account_id" uuid,
	"payer_name" text NOT NULL,
	"payer_id_number" text,
	"total_fen" bigint NOT NULL,
	"status" "notice_status" NOT NULL,
	"issued_by" uuid,
	"issued_at" timestamp (3) with time zone NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"closed_at" timestamp (3) with time zone,
	"close_reason" text,
	"issue_transaction_id" uuid NOT NULL,
	CONSTRAINT "payment_notices_code_unique" UNIQUE("code"),
	CONSTRAINT "payment_notices_total_positive" CHECK ("payment_notices"."total_fen" > 0)
);
--> statement-breakpoint
CREATE TABLE "payments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"notice_id" uuid NOT NULL,
	"channel" "payment_channel" NOT NULL,
	"bank_id" uuid NOT NULL,
	"bank_txn_id" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	"payer_account_no" text NOT NULL,
	"payer_account_name" text NOT NULL,
	"paid_at" timestamp (3) with time zone NOT NULL,
	"business_date" date NOT NULL,
	"recorded_at" timestamp (3) with time zone NOT NULL,
	"recorded_by" uuid,
	"ledger_transaction_id" uuid NOT NULL,
	CONSTRAINT "payments_noticeId_unique" UNIQUE("notice_id"),
	CONSTRAINT "payments_bankId_bankTxnId_unique" UNIQUE("bank_id","bank_txn_id")
);
--> statement-breakpoint
CREATE TABLE "receipts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"number" text NOT NULL,
	"payment_id" uuid NOT NULL,
	"document" text NOT NULL,
	"signature" "bytea",
	"issued_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "receipts_number_unique" UNIQUE("number"),
	CONSTRAINT "receipts_paymentId_unique" UNIQUE("payment_id")
);
--> statement-breakpoint
CREATE TABLE "refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"notice_id" uuid NOT NULL,
	"notice_code" text NOT NULL,
	"reference" text NOT NULL,
	"payment_id" uuid NOT NULL,
	"amount_fen" bigint NOT NULL,
	"to_account_no" text NOT NULL,
	"to_account_name" text NOT NULL,
	"reason" text NOT NULL,
	"trigger" text NOT NULL,
	"triggered_at" timestamp (3) with time zone NOT NULL,
	"warn_at" timestamp (3) with time zone NOT NULL,
	"due_at" timestamp (3) with time zone NOT NULL,
	"status" "refund_status" NOT NULL,
	"requested_by" uuid,
	"requested_at" timestamp (3) with time zone NOT NULL,
	"bank_id" uuid,
	"bank_txn_id" text,
	"paid_at" timestamp (3) with time zone,
	"business_date" date,
	"executed_by" uuid,
	"approve_transaction_id" uuid NOT NULL,
	"pay_transaction_id" uuid,
	CONSTRAINT "refunds_noticeId_unique" UNIQUE("notice_id"),
	CONSTRAINT "refunds_bankId_bankTxnId_unique" UNIQUE("bank_id","bank_txn_id")
);
--> statement-breakpoint
CREATE TABLE "bank_statement_lines" (
	"statement_id" uuid NOT NULL,
	"line_no" integer NOT NULL,
	"txn_id" text NOT NULL,
	"booked_at" timestamp (3) with time zone NOT NULL,
	"direction" char(1) NOT NULL,
	"amount_fen" bigint NOT NULL,
	"payment_code" text,
	"counterparty_account" text NOT NULL,
	"counterparty_name" text NOT NULL,
	"memo" text NOT NULL,
	CONSTRAINT "bank_statement_lines_statement_id_line_no_pk" PRIMARY KEY("statement_id","line_no"),
	CONSTRAINT "bank_statement_lines_direction" CHECK ("bank_statement_lines"."direction" in ('C', 'D')),
	CONSTRAINT "bank_statement_lines_amount" CHECK ("bank_statement_lines"."amount_fen" > 0)
);
--> statement-breakpoint
CREATE TABLE "bank_statements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"bank_id" uuid NOT NULL,
	"statement_date" date NOT NULL,
	"sha256" text NOT NULL,
	"file_key" text NOT NULL,
	"line_count" integer NOT NULL,
	"credits_fen" bigint NOT NULL,
	"debits_fen" bigint NOT NULL,
	"matched_count" integer NOT NULL,
	"imported_by" uuid NOT NULL,
	"imported_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "bank_statements_bankId_statementDate_unique" UNIQUE("bank_id","statement_date")
);
--> statement-breakpoint
CREATE TABLE "reconciliation_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"statement_id" uuid NOT NULL,
	"kind" "reconciliation_kind" NOT NULL,
	"direction" char(1) NOT NULL,
	"line_no" integer,
	"payment_id" uuid,
	"refund_id" uuid,
	"remittance_batch_id" uuid,
	"txn_id" text NOT NULL,
	"payment_code" text,
	"expected_fen" bigint,
	"actual_fen" bigint,
	"status" "reconciliation_status" NOT NULL,
	"resolution" "reconciliation_resolution",
	"note" text,
	"resolved_by" uuid,
	"resolved_at" timestamp (3) with time zone,
	"resolution_transaction_id" uuid
);
--> statement-breakpoint
CREATE TABLE "remittance_batches" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"receiving_account" text NOT NULL,
	"through_date" date NOT NULL,
	"total_fen" bigint NOT NULL,
	"payment_count" integer NOT NULL,
	"status" "remittance_status" NOT NULL,
	"created_by" uuid NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"ledger_transaction_id" uuid NOT NULL,
	"bank_id" uuid,
	"bank_txn_id" text,
	"business_date" date,
	"confirmed_by" uuid,
	"confirmed_at" timestamp (3) with time zone,
	CONSTRAINT "remittance_batches_bankId_bankTxnId_unique" UNIQUE("bank_id","bank_txn_id"),
	CONSTRAINT "remittance_batches_total" CHECK ("remittance_batches"."total_fen" > 0)
);
--> statement-breakpoint
CREATE TABLE "remittance_lines" (
	"batch_id" uuid NOT NULL,
	"payment_id" uuid NOT NULL,
	"receiving_account" text NOT NULL,
	"amount_fen" bigint NOT NULL,
	CONSTRAINT "remittance_lines_payment_id_receiving_account_pk" PRIMARY KEY("payment_id","receiving_account")
);
--> statement-breakpoint
CREATE TABLE "simulated_bank_transactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"txn_id" text NOT NULL,
	"direction" char(1) NOT NULL,
	"amount_fen" bigint NOT NULL,
	"payment_code" text,
	"counterparty_account" text NOT NULL,
	"counterparty_name" text NOT NULL,
	"memo" text DEFAULT '' NOT NULL,
	"booked_at" timestamp (3) with time zone NOT NULL,
	"callback_status" text NOT NULL,
	CONSTRAINT "simulated_bank_transactions_txnId_unique" UNIQUE("txn_id")
);
--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_account_code_ledger_accounts_code_fk" FOREIGN KEY ("account_code") REFERENCES "public"."ledger_accounts"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_reverses_id_ledger_transactions_id_fk" FOREIGN KEY ("reverses_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transactions" ADD CONSTRAINT "ledger_transactions_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_item_versions" ADD CONSTRAINT "fee_item_versions_fee_item_id_fee_items_id_fk" FOREIGN KEY ("fee_item_id") REFERENCES "public"."fee_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_item_versions" ADD CONSTRAINT "fee_item_versions_proposed_by_accounts_id_fk" FOREIGN KEY ("proposed_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_item_versions" ADD CONSTRAINT "fee_item_versions_decided_by_accounts_id_fk" FOREIGN KEY ("decided_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_items" ADD CONSTRAINT "fee_items_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "fee_items" ADD CONSTRAINT "fee_items_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_request_nonces" ADD CONSTRAINT "bank_request_nonces_bank_id_banks_id_fk" FOREIGN KEY ("bank_id") REFERENCES "public"."banks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "banks" ADD CONSTRAINT "banks_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_notice_items" ADD CONSTRAINT "payment_notice_items_notice_id_payment_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."payment_notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_notice_items" ADD CONSTRAINT "payment_notice_items_fee_item_version_id_fee_item_versions_id_fk" FOREIGN KEY ("fee_item_version_id") REFERENCES "public"."fee_item_versions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_notices" ADD CONSTRAINT "payment_notices_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_notices" ADD CONSTRAINT "payment_notices_window_id_windows_id_fk" FOREIGN KEY ("window_id") REFERENCES "public"."windows"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_notices" ADD CONSTRAINT "payment_notices_payer_account_id_accounts_id_fk" FOREIGN KEY ("payer_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_notices" ADD CONSTRAINT "payment_notices_issued_by_accounts_id_fk" FOREIGN KEY ("issued_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payment_notices" ADD CONSTRAINT "payment_notices_issue_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("issue_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_notice_id_payment_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."payment_notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_bank_id_banks_id_fk" FOREIGN KEY ("bank_id") REFERENCES "public"."banks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_recorded_by_accounts_id_fk" FOREIGN KEY ("recorded_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payments" ADD CONSTRAINT "payments_ledger_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("ledger_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "receipts" ADD CONSTRAINT "receipts_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_notice_id_payment_notices_id_fk" FOREIGN KEY ("notice_id") REFERENCES "public"."payment_notices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_requested_by_accounts_id_fk" FOREIGN KEY ("requested_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_bank_id_banks_id_fk" FOREIGN KEY ("bank_id") REFERENCES "public"."banks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_executed_by_accounts_id_fk" FOREIGN KEY ("executed_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_approve_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("approve_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "refunds" ADD CONSTRAINT "refunds_pay_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("pay_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_statement_lines" ADD CONSTRAINT "bank_statement_lines_statement_id_bank_statements_id_fk" FOREIGN KEY ("statement_id") REFERENCES "public"."bank_statements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_statements" ADD CONSTRAINT "bank_statements_bank_id_banks_id_fk" FOREIGN KEY ("bank_id") REFERENCES "public"."banks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bank_statements" ADD CONSTRAINT "bank_statements_imported_by_accounts_id_fk" FOREIGN KEY ("imported_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_statement_id_bank_statements_id_fk" FOREIGN KEY ("statement_id") REFERENCES "public"."bank_statements"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_refund_id_refunds_id_fk" FOREIGN KEY ("refund_id") REFERENCES "public"."refunds"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_remittance_batch_id_remittance_batches_id_fk" FOREIGN KEY ("remittance_batch_id") REFERENCES "public"."remittance_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_resolved_by_accounts_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_resolution_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("resolution_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remittance_batches" ADD CONSTRAINT "remittance_batches_created_by_accounts_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remittance_batches" ADD CONSTRAINT "remittance_batches_ledger_transaction_id_ledger_transactions_id_fk" FOREIGN KEY ("ledger_transaction_id") REFERENCES "public"."ledger_transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remittance_batches" ADD CONSTRAINT "remittance_batches_bank_id_banks_id_fk" FOREIGN KEY ("bank_id") REFERENCES "public"."banks"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remittance_batches" ADD CONSTRAINT "remittance_batches_confirmed_by_accounts_id_fk" FOREIGN KEY ("confirmed_by") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remittance_lines" ADD CONSTRAINT "remittance_lines_batch_id_remittance_batches_id_fk" FOREIGN KEY ("batch_id") REFERENCES "public"."remittance_batches"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "remittance_lines" ADD CONSTRAINT "remittance_lines_payment_id_payments_id_fk" FOREIGN KEY ("payment_id") REFERENCES "public"."payments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ledger_entries_transaction_id_index" ON "ledger_entries" USING btree ("transaction_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_account_code_index" ON "ledger_entries" USING btree ("account_code");--> statement-breakpoint
CREATE INDEX "ledger_transactions_reference_index" ON "ledger_transactions" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "ledger_transactions_business_date_index" ON "ledger_transactions" USING btree ("business_date");--> statement-breakpoint
CREATE INDEX "ledger_transactions_created_by_index" ON "ledger_transactions" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "fee_item_versions_proposed_by_index" ON "fee_item_versions" USING btree ("proposed_by");--> statement-breakpoint
CREATE INDEX "fee_item_versions_decided_by_index" ON "fee_item_versions" USING btree ("decided_by");--> statement-breakpoint
CREATE INDEX "fee_items_department_id_index" ON "fee_items" USING btree ("department_id");--> statement-breakpoint
CREATE INDEX "fee_items_created_by_index" ON "fee_items" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "bank_request_nonces_received_at_index" ON "bank_request_nonces" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "banks_created_by_index" ON "banks" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "payment_notice_items_fee_item_version_id_index" ON "payment_notice_items" USING btree ("fee_item_version_id");--> statement-breakpoint
CREATE INDEX "payment_notices_payer_account_id_index" ON "payment_notices" USING btree ("payer_account_id");--> statement-breakpoint
CREATE INDEX "payment_notices_department_id_index" ON "payment_notices" USING btree ("department_id");--> statement-breakpoint
CREATE INDEX "payment_notices_window_id_index" ON "payment_notices" USING btree ("window_id");--> statement-breakpoint
CREATE INDEX "payment_notices_reference_index" ON "payment_notices" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "payment_notices_issued_by_index" ON "payment_notices" USING btree ("issued_by");--> statement-breakpoint
CREATE INDEX "payment_notices_issue_transaction_id_index" ON "payment_notices" USING btree ("issue_transaction_id");--> statement-breakpoint
CREATE INDEX "payment_notices_status_due_at_index" ON "payment_notices" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "payments_bank_id_business_date_index" ON "payments" USING btree ("bank_id","business_date");--> statement-breakpoint
CREATE INDEX "payments_recorded_by_index" ON "payments" USING btree ("recorded_by");--> statement-breakpoint
CREATE INDEX "payments_ledger_transaction_id_index" ON "payments" USING btree ("ledger_transaction_id");--> statement-breakpoint
CREATE INDEX "refunds_payment_id_index" ON "refunds" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "refunds_status_due_at_index" ON "refunds" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "refunds_requested_by_index" ON "refunds" USING btree ("requested_by");--> statement-breakpoint
CREATE INDEX "refunds_executed_by_index" ON "refunds" USING btree ("executed_by");--> statement-breakpoint
CREATE INDEX "refunds_bank_id_business_date_index" ON "refunds" USING btree ("bank_id","business_date");--> statement-breakpoint
CREATE INDEX "refunds_approve_transaction_id_index" ON "refunds" USING btree ("approve_transaction_id");--> statement-breakpoint
CREATE INDEX "refunds_pay_transaction_id_index" ON "refunds" USING btree ("pay_transaction_id");--> statement-breakpoint
CREATE INDEX "bank_statements_imported_by_index" ON "bank_statements" USING btree ("imported_by");--> statement-breakpoint
CREATE INDEX "reconciliation_items_statement_id_status_index" ON "reconciliation_items" USING btree ("statement_id","status");--> statement-breakpoint
CREATE INDEX "reconciliation_items_payment_id_index" ON "reconciliation_items" USING btree ("payment_id");--> statement-breakpoint
CREATE INDEX "reconciliation_items_refund_id_index" ON "reconciliation_items" USING btree ("refund_id");--> statement-breakpoint
CREATE INDEX "reconciliation_items_remittance_batch_id_index" ON "reconciliation_items" USING btree ("remittance_batch_id");--> statement-breakpoint
CREATE INDEX "reconciliation_items_resolved_by_index" ON "reconciliation_items" USING btree ("resolved_by");--> statement-breakpoint
CREATE INDEX "reconciliation_items_resolution_transaction_id_index" ON "reconciliation_items" USING btree ("resolution_transaction_id");--> statement-breakpoint
CREATE INDEX "reconciliation_items_suspense_txn" ON "reconciliation_items" USING btree ("txn_id") WHERE "reconciliation_items"."resolution" = 'suspense';--> statement-breakpoint
CREATE INDEX "remittance_batches_through_date_index" ON "remittance_batches" USING btree ("through_date");--> statement-breakpoint
CREATE INDEX "remittance_batches_created_by_index" ON "remittance_batches" USING btree ("created_by");--> statement-breakpoint
CREATE INDEX "remittance_batches_confirmed_by_index" ON "remittance_batches" USING btree ("confirmed_by");--> statement-breakpoint
CREATE INDEX "remittance_batches_ledger_transaction_id_index" ON "remittance_batches" USING btree ("ledger_transaction_id");--> statement-breakpoint
CREATE INDEX "remittance_batches_bank_id_business_date_index" ON "remittance_batches" USING btree ("bank_id","business_date");--> statement-breakpoint
CREATE INDEX "remittance_lines_batch_id_index" ON "remittance_lines" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "simulated_bank_transactions_booked_at_index" ON "simulated_bank_transactions" USING btree ("booked_at");