//! The service on PostgreSQL survives the database going away: while it is
//! down every request is a fast 503 with a JSON error and `/readyz` says so
//! (while `/healthz` stays 200), and once it is back the service answers 200
//! again without a restart.
//!
//! This test starts and stops its own private cluster (through `scripts/pg`
//! with another port and data directory), so it never disturbs the shared one.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use catalog_core::CatalogStore;
use catalog_pg::testing::PrivateCluster;
use catalog_pg::{PgConfig, PgStore};
use catalog_source::GenerateConfig;

async fn status(base_url: &str) -> (u16, String) {
    status_of(base_url, "/products/1/styles").await
}

async fn status_of(base_url: &str, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("{base_url}{path}"))
        .await
        .expect("the service answers");
    (response.status().as_u16(), response.text().await.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restart_gives_503s_then_200s_without_restarting_the_service() {
    let cluster = PrivateCluster::new("recovery");
    let url = cluster.up();

    let source = tempfile::tempdir().unwrap();
    catalog_source::generate(
        &GenerateConfig {
            products: 50,
            seed: 4,
            dirty_rate: 0.0,
        },
        source.path(),
    )
    .unwrap();
    let import_url = url.clone();
    let source_dir = source.path().to_owned();
    tokio::task::spawn_blocking(move || catalog_pg::import(&import_url, &source_dir, &mut Vec::new()))
        .await
        .unwrap()
        .expect("import");

    let mut config = PgConfig::new(url);
    config.connect_timeout = Duration::from_millis(500);
    config.statement_timeout = Duration::from_secs(1);
    let store: Arc<dyn CatalogStore> = Arc::new(PgStore::connect(&config).await.expect("connect"));
    let running = common::spawn(store).await;
    assert_eq!(status(&running.base_url).await.0, 200);
    assert_eq!(status_of(&running.base_url, "/readyz").await.0, 200);

    cluster.down();
    assert_eq!(status_of(&running.base_url, "/readyz").await.0, 503);
    assert_eq!(status_of(&running.base_url, "/healthz").await.0, 200);
    for _ in 0..5 {
        let (code, body) = tokio::time::timeout(Duration::from_secs(10), status(&running.base_url))
            .await
            .expect("a down database gives a fast answer, never a hang");
        assert_eq!(code, 503, "{body}");
        let body: serde_json::Value = serde_json::from_str(&body).expect("a JSON error");
        assert!(body["error"].is_string());
    }

    cluster.up();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (code, body) = status(&running.base_url).await;
        if code == 200 {
            assert!(body.starts_with(r#"{"product_id":"1","results":["#), "{body}");
            assert_eq!(status_of(&running.base_url, "/readyz").await.0, 200);
            break;
        }
        assert_eq!(code, 503, "{body}");
        assert!(Instant::now() < deadline, "the service did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut running = running;
    running
        .stop
        .take()
        .expect("stop sender")
        .send(())
        .expect("server running");
}
