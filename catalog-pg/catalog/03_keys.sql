-- After the load, in the same schema and transaction as 01_tables.sql
-- (`search_path` set to the new schema): the primary keys and the indexes
-- the four queries and the writes use (the import builds them while it
-- renders the read model). Then 03_keys_read_model.sql, 04_foreign_keys.sql
-- and 05_generation.sql.

ALTER TABLE products ADD PRIMARY KEY (id);
ALTER TABLE features ADD PRIMARY KEY (id);
ALTER TABLE styles ADD PRIMARY KEY (id);
ALTER TABLE photos ADD PRIMARY KEY (id);
ALTER TABLE skus ADD PRIMARY KEY (id);
ALTER TABLE related ADD PRIMARY KEY (id);

CREATE UNIQUE INDEX products_pos ON products (pos);
CREATE INDEX features_product ON features (product_id, id);
CREATE INDEX styles_product ON styles (product_id, id);
CREATE INDEX photos_style ON photos (style_id, id);
CREATE INDEX skus_style ON skus (style_id, id);
CREATE INDEX related_product ON related (current_product_id, id);
CREATE INDEX related_target ON related (related_product_id);  -- a deleted product leaves every related answer
