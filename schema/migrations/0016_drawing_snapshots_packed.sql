-- A drawing's eligible pseudonyms, packed: 8 bytes each instead of a JSON array of 16-digit hex
-- strings. Random bytes do not compress: stored as they are (no pglz attempt on every draw).
CREATE FUNCTION openhall_pack_pseudonyms(list jsonb) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT decode(coalesce(string_agg(value, '' ORDER BY ordinality), ''), 'hex') FROM jsonb_array_elements_text(list) WITH ORDINALITY
$$;
--> statement-breakpoint
ALTER TABLE "drawing_snapshots" ALTER COLUMN "eligible" SET DATA TYPE bytea USING openhall_pack_pseudonyms("eligible");
--> statement-breakpoint
ALTER TABLE "drawing_snapshots" ALTER COLUMN "eligible" SET STORAGE EXTERNAL;
--> statement-breakpoint
DROP FUNCTION openhall_pack_pseudonyms(jsonb);
