-- One opening room, one tender at a time: two active bookings of a room may not overlap, even
-- when two clerks book at the same instant (the constraint decides, not a read-then-write).
CREATE EXTENSION IF NOT EXISTS btree_gist;
--> statement-breakpoint
ALTER TABLE venue_bookings ADD CONSTRAINT venue_bookings_no_overlap
  EXCLUDE USING gist (venue_id WITH =, tstzrange(starts_at, ends_at) WITH &&) WHERE (cancelled_at IS NULL);
--> statement-breakpoint
-- Bids, withdrawals and issued documents are history: never edited, never deleted.
CREATE TRIGGER bid_submissions_append_only BEFORE UPDATE OR DELETE ON bid_submissions
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER tender_documents_append_only BEFORE UPDATE OR DELETE ON tender_documents
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER document_downloads_append_only BEFORE UPDATE OR DELETE ON document_downloads
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
