//! Diesel's view of the catalog tables (written to match the migration).
//!
//! Table names are unqualified: connections resolve them through
//! `search_path` to schema `catalog` (the service) or to the schema an import
//! is building, so one definition serves both.

diesel::table! {
    /// Products, with their position in id order.
    products (id) {
        id -> Integer,
        pos -> Integer,
        name -> Text,
        slogan -> Text,
        description -> Text,
        category -> Text,
        default_price -> Numeric,
    }
}

diesel::table! {
    /// Product features.
    features (id) {
        id -> Integer,
        product_id -> Integer,
        feature -> Text,
        value -> Nullable<Text>,
    }
}

diesel::table! {
    /// Product styles.
    styles (id) {
        id -> Integer,
        product_id -> Integer,
        name -> Text,
        sale_price -> Nullable<Numeric>,
        original_price -> Numeric,
        default_style -> Bool,
    }
}

diesel::table! {
    /// Style photos.
    photos (id) {
        id -> Integer,
        style_id -> Integer,
        url -> Text,
        thumbnail_url -> Text,
    }
}

diesel::table! {
    /// Style sizes and quantities.
    skus (id) {
        id -> Integer,
        style_id -> Integer,
        size -> Text,
        quantity -> Integer,
    }
}

diesel::table! {
    /// Related-product links.
    related (id) {
        id -> Integer,
        current_product_id -> Integer,
        related_product_id -> Integer,
    }
}

diesel::joinable!(photos -> styles (style_id));
diesel::joinable!(skus -> styles (style_id));
diesel::allow_tables_to_appear_in_same_query!(
    products,
    features,
    styles,
    photos,
    skus,
    related,
    style_details,
    product_styles,
    built
);

diesel::table! {
    use diesel::sql_types::*;

    /// View: one row per style with photos and SKUs aggregated in id order.
    style_details (style_id) {
        style_id -> Integer,
        product_id -> Integer,
        name -> Text,
        original_price -> Numeric,
        sale_price -> Nullable<Numeric>,
        default_style -> Bool,
        photo_thumbnail_urls -> Array<Text>,
        photo_urls -> Array<Text>,
        sku_ids -> Array<Integer>,
        sku_quantities -> Array<Integer>,
        sku_sizes -> Array<Text>,
    }
}

diesel::table! {
    /// Read model: one row per product, its styles as one JSON document
    /// (`json` in PostgreSQL, read as its text; see `styles_document`).
    product_styles (product_id) {
        product_id -> Integer,
        styles -> Text,
    }
}

diesel::table! {
    /// Which generation of the catalog this is: one row, a number every
    /// import takes anew when it finishes a catalog (migration 4).
    built (generation) {
        generation -> BigInt,
        finished_at -> Timestamptz,
    }
}
