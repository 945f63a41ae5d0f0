-- After the load, in the same schema and transaction as 01_tables.sql
-- (`search_path` set to the new schema): products in id order with their
-- positions, the primary keys, the indexes the four queries use and the
-- foreign keys. Then 03_read_model.sql and 04_generation.sql.

-- Products rewritten in id order, each with its position.
ALTER TABLE products RENAME TO products_loaded;
CREATE TABLE products (LIKE products_loaded INCLUDING ALL);
INSERT INTO products
  SELECT id, (row_number() OVER (ORDER BY id) - 1)::integer, name, slogan, description, category, default_price
  FROM products_loaded ORDER BY id;
DROP TABLE products_loaded;
ALTER TABLE products ALTER COLUMN pos SET NOT NULL;

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

ALTER TABLE features ADD FOREIGN KEY (product_id) REFERENCES products (id);
ALTER TABLE styles ADD FOREIGN KEY (product_id) REFERENCES products (id);
ALTER TABLE photos ADD FOREIGN KEY (style_id) REFERENCES styles (id);
ALTER TABLE skus ADD FOREIGN KEY (style_id) REFERENCES styles (id);
ALTER TABLE related ADD FOREIGN KEY (current_product_id) REFERENCES products (id);
ALTER TABLE related ADD FOREIGN KEY (related_product_id) REFERENCES products (id);
