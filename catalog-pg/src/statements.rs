//! The read statements of the store, built in one place: [`PgStore`](crate::PgStore)
//! runs them, and [`statements`] shows their SQL as diesel generates it
//! (`diesel::debug_query`), so `scripts/explain-pg.sh` and
//! `docs/bench/explain-pg.md` never hold a hand-copied statement.

use diesel::dsl::{AsSelect, auto_type};
use diesel::pg::Pg;
use diesel::prelude::*;

use crate::schema::catalog::{features, product_styles, products, related};

/// A product as `GET /products` lists it, as stored.
#[derive(Queryable, Selectable)]
#[diesel(table_name = products, check_for_backend(diesel::pg::Pg))]
pub(crate) struct ProductRow {
    pub(crate) id: i32,
    pub(crate) name: String,
    pub(crate) slogan: String,
    pub(crate) description: String,
    pub(crate) category: String,
    pub(crate) default_price: crate::money::PgPrice,
}

/// The products at positions `start..end` of the id order (a page).
#[auto_type]
pub(crate) fn page(start: i32, end: i32) -> _ {
    let columns: AsSelect<ProductRow, Pg> = ProductRow::as_select();
    products::table
        .filter(products::pos.ge(start))
        .filter(products::pos.lt(end))
        .order(products::pos)
        .select(columns)
}

/// Product `id`, if it exists.
#[auto_type]
pub(crate) fn product(id: i32) -> _ {
    let columns: AsSelect<ProductRow, Pg> = ProductRow::as_select();
    products::table.find(id).select(columns).limit(1_i64)
}

/// Product `id`'s features in ascending feature id order.
#[auto_type]
pub(crate) fn product_features(id: i32) -> _ {
    features::table
        .filter(features::product_id.eq(id))
        .order(features::id)
        .select((features::feature, features::value))
}

/// `id` if product `id` exists, to pipeline beside a route's statement whose
/// empty answer must be told apart from a missing product.
#[auto_type]
pub(crate) fn product_exists(id: i32) -> _ {
    products::table.find(id).select(products::id).limit(1_i64)
}

/// The styles answer's stored `results` of product `id` (the read model).
#[auto_type]
pub(crate) fn styles_results(id: i32) -> _ {
    product_styles::table
        .find(id)
        .select(product_styles::results)
        .limit(1_i64)
}

/// The related product ids of product `id` in related-row order.
#[auto_type]
pub(crate) fn related_ids(id: i32) -> _ {
    related::table
        .filter(related::current_product_id.eq(id))
        .order(related::id)
        .select(related::related_product_id)
}

/// Each production read statement by name, as diesel sends it to PostgreSQL
/// (bind parameters as `$1`, `$2`): for EXPLAIN and the docs.
pub fn statements() -> Vec<(&'static str, String)> {
    fn sql<T: diesel::query_builder::QueryFragment<Pg>>(query: &T) -> String {
        let shown = diesel::debug_query::<Pg, _>(query).to_string();
        match shown.split_once(" -- binds:") {
            Some((sql, _)) => sql.to_owned(),
            None => shown,
        }
    }
    vec![
        ("list", sql(&page(0, 5))),
        ("product", sql(&product(1))),
        ("features", sql(&product_features(1))),
        ("product_exists", sql(&product_exists(1))),
        ("product_styles", sql(&styles_results(1))),
        ("related", sql(&related_ids(1))),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_statement_is_shown_with_its_parameters() {
        let statements = super::statements();
        assert_eq!(statements.len(), 6);
        for (name, sql) in statements {
            assert!(sql.starts_with("SELECT ") && sql.contains("$1"), "{name}: {sql}");
            assert!(!sql.contains("binds"), "{name}: {sql}");
        }
    }
}
