// The classic implementation of the catalog's four routes, as the original
// write-up built it: Express, node-postgres, and one aggregate SQL statement
// per route that builds the JSON in PostgreSQL. It reads the schema the
// catalog's import writes (schema `catalog`) and answers the same bodies as
// the Rust service (scripts/bench-classic.sh checks a sample before
// measuring). Tuned fairly: named (prepared) statements, a pool per worker,
// one worker per core (node:cluster). A benchmark reference only.
//
// Environment: DATABASE_URL, PORT (default 3501), WORKERS (default: the cores).

'use strict';

const cluster = require('node:cluster');
const os = require('node:os');
const express = require('express');
const { Pool } = require('pg');

const workers = Number(process.env.WORKERS || os.availableParallelism());
if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i += 1) cluster.fork();
  cluster.on('exit', (worker, code) => console.error(`worker ${worker.process.pid} exited with ${code}`));
  return;
}

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = express();

const PRODUCT_COLUMNS = 'id, name, slogan, description, category, default_price::text AS default_price';

const statements = {
  // OFFSET paging, as the classic implementation did: deep pages scan.
  page: `SELECT ${PRODUCT_COLUMNS} FROM catalog.products ORDER BY id LIMIT $1 OFFSET $2`,
  product: `SELECT ${PRODUCT_COLUMNS},
      COALESCE((SELECT json_agg(json_build_object('feature', f.feature, 'value', NULLIF(f.value, '')) ORDER BY f.id)
                FROM catalog.features f WHERE f.product_id = p.id), '[]'::json) AS features
    FROM catalog.products p WHERE p.id = $1`,
  styles: `SELECT json_build_object('product_id', $1::text, 'results', COALESCE((
      SELECT json_agg(json_build_object(
          'style_id', s.id, 'name', s.name,
          'original_price', s.original_price::text, 'sale_price', s.sale_price::text,
          'default?', s.default_style,
          'photos', COALESCE((SELECT json_agg(json_build_object('thumbnail_url', ph.thumbnail_url, 'url', ph.url) ORDER BY ph.id)
                              FROM catalog.photos ph WHERE ph.style_id = s.id), '[{"thumbnail_url":null,"url":null}]'::json),
          'skus', COALESCE((SELECT json_object_agg(k.id, json_build_object('quantity', k.quantity, 'size', k.size) ORDER BY k.id)
                            FROM catalog.skus k WHERE k.style_id = s.id), '{"null":{"quantity":null,"size":null}}'::json)
        ) ORDER BY s.id)
      FROM catalog.styles s WHERE s.product_id = $1::integer), '[]'::json)) AS body
    FROM catalog.products WHERE id = $1::integer`,
  related: `SELECT p.id AS found, COALESCE((SELECT json_agg(r.related_product_id ORDER BY r.id)
      FROM catalog.related r WHERE r.current_product_id = p.id), '[]'::json) AS related
    FROM catalog.products p WHERE p.id = $1`,
};

const query = (name, values) => pool.query({ name, text: statements[name], values });

/** A plain decimal integer in [min, 2^31 - 1], or null. */
function integer(text, min) {
  if (typeof text !== 'string' || !/^[0-9]+$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= 2147483647 ? value : null;
}

const fail = (res, status, error) => res.status(status).json({ error });

function route(handler) {
  return async (req, res) => {
    try {
      await handler(req, res);
    } catch (err) {
      fail(res, 500, 'internal server error');
    }
  };
}

function productId(req, res) {
  const id = integer(req.params.product_id, 1);
  if (id === null) fail(res, 400, `product_id must be a decimal integer >= 1, got ${req.params.product_id}`);
  return id;
}

app.get('/products', route(async (req, res) => {
  const page = req.query.page === undefined ? 1 : integer(req.query.page, 1);
  const count = req.query.count === undefined ? 5 : integer(req.query.count, 1);
  if (page === null) return fail(res, 400, 'page must be a decimal integer >= 1');
  if (count === null || count > 1000) return fail(res, 400, 'count must be a decimal integer from 1 to 1000');
  const { rows } = await query('page', [count, (page - 1) * count]);
  res.json(rows);
}));

app.get('/products/:product_id', route(async (req, res) => {
  const id = productId(req, res);
  if (id === null) return;
  const { rows } = await query('product', [id]);
  if (rows.length === 0) return fail(res, 404, `no product with id ${id}`);
  res.json(rows[0]);
}));

app.get('/products/:product_id/styles', route(async (req, res) => {
  const id = productId(req, res);
  if (id === null) return;
  const { rows } = await query('styles', [String(id)]);
  if (rows.length === 0) return fail(res, 404, `no product with id ${id}`);
  res.json(rows[0].body);
}));

app.get('/products/:product_id/related', route(async (req, res) => {
  const id = productId(req, res);
  if (id === null) return;
  const { rows } = await query('related', [id]);
  if (rows.length === 0) return fail(res, 404, `no product with id ${id}`);
  res.json([...new Set(rows[0].related)]);
}));

const port = Number(process.env.PORT || 3501);
app.listen(port, '127.0.0.1', () => console.error(`classic reference on 127.0.0.1:${port}, pid ${process.pid}`));
