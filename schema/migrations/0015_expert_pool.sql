CREATE TABLE "expert_pool" (
	"specialty_code" text NOT NULL,
	"expert_id" uuid NOT NULL,
	"region_code" text NOT NULL,
	CONSTRAINT "expert_pool_specialty_code_expert_id_pk" PRIMARY KEY("specialty_code","expert_id")
);
--> statement-breakpoint
ALTER TABLE "expert_pool" ADD CONSTRAINT "expert_pool_expert_id_experts_id_fk" FOREIGN KEY ("expert_id") REFERENCES "public"."experts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "expert_pool_specialty_code_expert_id_region_code_index" ON "expert_pool" USING btree ("specialty_code","expert_id","region_code");--> statement-breakpoint
CREATE INDEX "expert_pool_expert_id_index" ON "expert_pool" USING btree ("expert_id");--> statement-breakpoint
-- The drawable pool follows experts and their specialties in the transaction that changes them.
-- A specialty added to an expert locks the expert's row first, as a change of status or region
-- does: whichever of two concurrent changes commits second sees the first's result, so a
-- withdrawn expert never keeps (or gains) a row here.
CREATE FUNCTION openhall_expert_pool_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM experts e WHERE e.id IN (SELECT expert_id FROM added) ORDER BY e.id FOR NO KEY UPDATE;
  INSERT INTO expert_pool (specialty_code, expert_id, region_code)
    SELECT a.specialty_code, a.expert_id, e.region_code FROM added a JOIN experts e ON e.id = a.expert_id WHERE e.status = 'active'
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION openhall_expert_pool_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM expert_pool p USING removed r WHERE p.specialty_code = r.specialty_code AND p.expert_id = r.expert_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION openhall_expert_pool_expert_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM expert_pool WHERE expert_id = NEW.id;
  IF NEW.status = 'active' THEN
    INSERT INTO expert_pool (specialty_code, expert_id, region_code)
      SELECT s.specialty_code, NEW.id, NEW.region_code FROM expert_specialties s WHERE s.expert_id = NEW.id;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER expert_pool_specialties_inserted AFTER INSERT ON expert_specialties
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION openhall_expert_pool_added();
--> statement-breakpoint
CREATE TRIGGER expert_pool_specialties_deleted AFTER DELETE ON expert_specialties
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION openhall_expert_pool_removed();
--> statement-breakpoint
-- an update is a removal then an addition: triggers of one event fire in name order
CREATE TRIGGER expert_pool_specialties_updated_1_out AFTER UPDATE ON expert_specialties
  REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION openhall_expert_pool_removed();
--> statement-breakpoint
CREATE TRIGGER expert_pool_specialties_updated_2_in AFTER UPDATE ON expert_specialties
  REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION openhall_expert_pool_added();
--> statement-breakpoint
CREATE TRIGGER expert_pool_expert_changed AFTER UPDATE OF status, region_code ON experts
  FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.region_code IS DISTINCT FROM NEW.region_code)
  EXECUTE FUNCTION openhall_expert_pool_expert_changed();
--> statement-breakpoint
INSERT INTO expert_pool (specialty_code, expert_id, region_code)
  SELECT s.specialty_code, s.expert_id, e.region_code FROM expert_specialties s JOIN experts e ON e.id = s.expert_id WHERE e.status = 'active';
