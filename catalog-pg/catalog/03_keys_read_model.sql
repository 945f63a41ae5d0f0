-- After the read model's documents are loaded, in the same schema and
-- transaction (`search_path` set to it): the read model's primary key.

ALTER TABLE product_styles ADD PRIMARY KEY (product_id);
