//! The store-agnostic contract suite of the catalog (`shared/contract.md`).
//!
//! Like a conformance suite of a storage trait, every check here is a plain
//! async function over a running service ([`App`]) and an [`Oracle`] of what
//! it must answer. Each store's tests start the real HTTP service over that
//! store on a random port and run [`contract_tests!`], which makes one test
//! per check, so a behaviour fixed for one store is checked for all.

pub mod checks;
mod oracle;
mod storefront;
pub mod writes;

use std::path::Path;
use std::sync::Arc;

use catalog_source::{GenerateConfig, GenerateSummary, generate};
pub use oracle::Oracle;

/// Products in the contract suite's generated catalog.
pub const PRODUCTS: u32 = 1_500;
/// Dirty-line rate of that catalog, so rejected ids leave gaps.
pub const DIRTY_RATE: f64 = 0.02;
/// Seed of that catalog.
pub const SEED: u64 = 2024;

/// A generated source directory and the oracle of its answers.
pub struct Fixture {
    /// The directory holding the six files; removed on drop.
    pub dir: tempfile::TempDir,
    /// What the generator wrote, dirty lines included.
    pub summary: GenerateSummary,
    /// The expected answers.
    pub oracle: Arc<Oracle>,
}

impl Fixture {
    /// Generates the suite's standard catalog ([`PRODUCTS`], [`DIRTY_RATE`], [`SEED`]).
    pub fn standard() -> Fixture {
        Fixture::generate(&GenerateConfig {
            products: PRODUCTS,
            seed: SEED,
            dirty_rate: DIRTY_RATE,
        })
    }

    /// Generates a catalog with `config` into a new temporary directory.
    pub fn generate(config: &GenerateConfig) -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let summary = generate(config, dir.path()).expect("generate the catalog");
        let oracle = Arc::new(Oracle::from_generated(dir.path()));
        Fixture { dir, summary, oracle }
    }

    /// The source directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// A running service under test and what it must answer.
pub struct App {
    /// Base URL such as `http://127.0.0.1:40123`, without a trailing slash.
    pub base_url: String,
    /// The expected answers for the catalog it serves.
    pub oracle: Arc<Oracle>,
    /// An HTTP client reused across requests.
    pub client: reqwest::Client,
    /// Keeps the server alive; dropping it may stop the server.
    pub guard: Box<dyn std::any::Any + Send>,
}

impl App {
    /// Describes a service at `base_url` serving the catalog `oracle` describes.
    pub fn new(base_url: String, oracle: Arc<Oracle>, guard: Box<dyn std::any::Any + Send>) -> App {
        App {
            base_url,
            oracle,
            client: reqwest::Client::new(),
            guard,
        }
    }
}

/// Defines one `#[tokio::test]` per contract check, each calling `$setup().await`
/// for a fresh [`App`].
#[macro_export]
macro_rules! contract_tests {
    ($setup:path) => {
        $crate::contract_tests!(@each $setup;
            list_pages, unknown_query_parameters_are_ignored, trailing_slash_is_the_same_resource, product_details, styles, related,
            missing_products_are_404, bad_input_is_400, unknown_paths_are_404, other_methods_are_405,
            head_matches_get, cors, healthz, styles_read_as_storefronts_do);
    };
    (@each $setup:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let app: $crate::App = $setup().await;
                $crate::checks::$check(&app).await;
            }
        )*
    };
}
