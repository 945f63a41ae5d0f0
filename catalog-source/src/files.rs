//! The six source files: their names, headers and the order they load in.

use std::fmt;

/// One of the six CSV files of a catalog source directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceFile {
    /// `product.csv`: the products.
    Products,
    /// `features.csv`: product features.
    Features,
    /// `styles.csv`: product styles.
    Styles,
    /// `photos.csv`: style photos.
    Photos,
    /// `skus.csv`: style sizes and quantities.
    Skus,
    /// `related.csv`: related-product links.
    Related,
}

impl SourceFile {
    /// All six files in load order: every file comes after the files it refers to.
    pub const ALL: [SourceFile; 6] = [
        SourceFile::Products,
        SourceFile::Features,
        SourceFile::Styles,
        SourceFile::Photos,
        SourceFile::Skus,
        SourceFile::Related,
    ];

    /// The file's name inside a source directory.
    pub fn file_name(self) -> &'static str {
        match self {
            SourceFile::Products => "product.csv",
            SourceFile::Features => "features.csv",
            SourceFile::Styles => "styles.csv",
            SourceFile::Photos => "photos.csv",
            SourceFile::Skus => "skus.csv",
            SourceFile::Related => "related.csv",
        }
    }

    /// The column names the file's header line must hold, in order.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            SourceFile::Products => &["id", "name", "slogan", "description", "category", "default_price"],
            SourceFile::Features => &["id", "product_id", "feature", "value"],
            SourceFile::Styles => &[
                "id",
                "productId",
                "name",
                "sale_price",
                "original_price",
                "default_style",
            ],
            SourceFile::Photos => &["id", "styleId", "url", "thumbnail_url"],
            SourceFile::Skus => &["id", "styleId", "size", "quantity"],
            SourceFile::Related => &["id", "current_product_id", "related_product_id"],
        }
    }

    /// The header line as it appears in the file (without the line break).
    pub fn header(self) -> String {
        self.columns().join(",")
    }
}

impl fmt::Display for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}
