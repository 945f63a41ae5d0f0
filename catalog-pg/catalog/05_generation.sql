-- Last, in the same schema (`search_path` set to it): the generation stamp.

-- `built`: which generation of the catalog this is. Every finished catalog
-- takes the next number of `public.catalog_generations` (a migration made it),
-- so a service can ask, cheaply and through a replica, whether the catalog it
-- caches answers of has been replaced since it last looked.
CREATE TABLE built (
  generation bigint PRIMARY KEY,
  finished_at timestamptz NOT NULL
);
INSERT INTO built VALUES (nextval('public.catalog_generations'), clock_timestamp());
