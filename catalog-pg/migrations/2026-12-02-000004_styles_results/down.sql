-- Not reversible in place: the earlier read model and the style_details view
-- come back with the previous release's migrations and a re-import.
DO $$ BEGIN RAISE EXCEPTION 'migration 2026-12-02-000004_styles_results cannot be reverted; restore the previous release and re-import'; END $$;
