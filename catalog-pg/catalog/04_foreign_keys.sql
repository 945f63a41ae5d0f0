-- After 03_keys.sql, in the same schema (`search_path` set to it): the
-- foreign keys, added NOT VALID. PostgreSQL enforces them on every write
-- from then on; the rows already there were checked by the import's reader,
-- which accepts a feature, style, photo, SKU or related link only when what
-- it refers to was accepted (catalog-source/tests/import_rules.rs), so the
-- import does not pay PostgreSQL's second look at 26 million references
-- (14 s at 1M products). `ALTER TABLE ... VALIDATE CONSTRAINT` checks them
-- at any time without blocking reads or writes; `migrate` does it for the
-- empty catalog it creates.

ALTER TABLE features ADD FOREIGN KEY (product_id) REFERENCES products (id) NOT VALID;
ALTER TABLE styles ADD FOREIGN KEY (product_id) REFERENCES products (id) NOT VALID;
ALTER TABLE photos ADD FOREIGN KEY (style_id) REFERENCES styles (id) NOT VALID;
ALTER TABLE skus ADD FOREIGN KEY (style_id) REFERENCES styles (id) NOT VALID;
ALTER TABLE related ADD FOREIGN KEY (current_product_id) REFERENCES products (id) NOT VALID;
ALTER TABLE related ADD FOREIGN KEY (related_product_id) REFERENCES products (id) NOT VALID;
ALTER TABLE product_styles ADD FOREIGN KEY (product_id) REFERENCES products (id) NOT VALID;
