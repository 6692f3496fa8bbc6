CREATE TABLE "bid_uploads" (
	"blob_key" text PRIMARY KEY NOT NULL,
	"tender_id" uuid NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "bid_uploads" ADD CONSTRAINT "bid_uploads_tender_id_tenders_id_fk" FOREIGN KEY ("tender_id") REFERENCES "public"."tenders"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "bid_uploads_tender_id_index" ON "bid_uploads" USING btree ("tender_id");--> statement-breakpoint
CREATE INDEX "bid_uploads_started_at_index" ON "bid_uploads" USING btree ("started_at");