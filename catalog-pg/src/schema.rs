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
diesel::allow_tables_to_appear_in_same_query!(products, features, styles, photos, skus, related, product_styles, built);

diesel::table! {
    /// Read model: one row per product, the `results` of its styles answer
    /// as the service sends them (see `styles_document`).
    product_styles (product_id) {
        product_id -> Integer,
        results -> Text,
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
