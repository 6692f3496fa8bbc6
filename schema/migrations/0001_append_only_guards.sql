-- Append-only tables: the application never updates or deletes these rows. The trigger stops
-- accidents and casual edits; deliberate tampering by a database owner (who can disable
-- triggers) is what the hash chain and the signed checkpoints detect.
CREATE FUNCTION openhall_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
--> statement-breakpoint
CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoint_heads_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint_heads
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
--> statement-breakpoint
CREATE TRIGGER room_events_append_only BEFORE UPDATE OR DELETE ON room_events
  FOR EACH ROW EXECUTE FUNCTION openhall_refuse_change();
