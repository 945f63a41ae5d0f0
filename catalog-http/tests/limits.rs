//! The server's limits in time and number, against a real socket: a
//! connection that never finishes its request head is closed by the header
//! read timeout; connections beyond the most open are closed at once;
//! requests beyond the most in flight are shed with a 503 at once (health
//! checks never are); a request past its deadline is answered 503.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use catalog_core::{CatalogStore, Page, Product, ProductDetail, ProductId, ProductStyles, StoreError};
use catalog_http::{ServerLimits, ServerMetrics, ServiceConfig, serve_with_limits, service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, oneshot};

/// A store whose styles wait for a permit of `gate` (none: answer at once),
/// counting the calls that entered.
struct GatedStore {
    gate: Option<Arc<Semaphore>>,
    delay: Duration,
    entered: AtomicUsize,
}

#[async_trait]
impl CatalogStore for GatedStore {
    async fn products(&self, _: Page) -> Result<Vec<Product>, StoreError> {
        Ok(Vec::new())
    }
    async fn product(&self, id: ProductId) -> Result<ProductDetail, StoreError> {
        Err(StoreError::ProductNotFound(id.get()))
    }
    async fn styles(&self, id: ProductId) -> Result<ProductStyles, StoreError> {
        self.entered.fetch_add(1, Ordering::SeqCst);
        if let Some(gate) = &self.gate {
            let _permit = gate.acquire().await;
        }
        tokio::time::sleep(self.delay).await;
        Ok(ProductStyles {
            product_id: id,
            results: Vec::new(),
        })
    }
    async fn related(&self, _: ProductId) -> Result<Vec<i32>, StoreError> {
        Ok(Vec::new())
    }
}

struct Server {
    address: std::net::SocketAddr,
    metrics: ServerMetrics,
    _stop: oneshot::Sender<()>,
}

async fn start(store: Arc<GatedStore>, limits: ServerLimits) -> Server {
    let listener = catalog_http::bind("127.0.0.1:0".parse().unwrap(), limits.listen_backlog).unwrap();
    let address = listener.local_addr().unwrap();
    let metrics = ServerMetrics::new();
    let config = ServiceConfig {
        server_metrics: metrics.clone(),
        ..ServiceConfig::default()
    };
    let (stop, stopped) = oneshot::channel::<()>();
    let filter = service(store, &config);
    tokio::spawn(serve_with_limits(listener, filter, limits, metrics.clone(), async {
        let _ = stopped.await;
    }));
    Server {
        address,
        metrics,
        _stop: stop,
    }
}

fn store(gate: Option<Arc<Semaphore>>, delay: Duration) -> Arc<GatedStore> {
    Arc::new(GatedStore {
        gate,
        delay,
        entered: AtomicUsize::new(0),
    })
}

/// `GET path` over a new connection: (status, headers and body as text).
async fn get(address: std::net::SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(address).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    let status = answer.get(9..12).and_then(|code| code.parse().ok()).unwrap_or(0);
    (status, answer)
}

/// Waits until the server closes `stream` (a read of 0 bytes or a reset).
async fn closed_by_server(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buffer = [0_u8; 256];
    loop {
        match tokio::time::timeout(within, stream.read(&mut buffer)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

async fn until(mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "condition not met in 10 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_that_never_finish_a_request_head_are_closed() {
    let limits = ServerLimits {
        header_read_timeout: Duration::from_millis(300),
        ..ServerLimits::default()
    };
    let server = start(store(None, Duration::ZERO), limits).await;
    let mut half = TcpStream::connect(server.address).await.unwrap();
    half.write_all(b"GET /products HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut silent = TcpStream::connect(server.address).await.unwrap();
    // A keep-alive connection that sends half of its second request head.
    let mut kept = TcpStream::connect(server.address).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut first = [0_u8; 12];
    kept.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    kept.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
    let mut trickling = TcpStream::connect(server.address).await.unwrap();
    let trickle = tokio::spawn(async move {
        for byte in b"GET /products HTTP/1.1\r\n".iter().cycle().take(40) {
            if trickling.write_all(&[*byte]).await.is_err() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_by_server(&mut trickling, Duration::from_secs(1)).await
    });
    // Meanwhile, whole requests are answered.
    assert_eq!(get(server.address, "/healthz").await.0, 200);
    assert!(closed_by_server(&mut half, Duration::from_secs(5)).await, "half a head");
    assert!(
        closed_by_server(&mut silent, Duration::from_secs(5)).await,
        "nothing sent"
    );
    assert!(trickle.await.unwrap(), "a byte every 100 ms");
    assert!(
        closed_by_server(&mut kept, Duration::from_secs(5)).await,
        "half a second head"
    );
    until(|| server.metrics.connection_error_count("header_timeout") >= 4).await;
    assert_eq!(get(server.address, "/healthz").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_most_open_are_closed_at_once() {
    let limits = ServerLimits {
        max_connections: 4,
        ..ServerLimits::default()
    };
    let server = start(store(None, Duration::ZERO), limits).await;
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(server.address).await.unwrap());
    }
    until(|| server.metrics.open_connections() == 4).await;
    let mut extra = TcpStream::connect(server.address).await.unwrap();
    let _ = extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(
        closed_by_server(&mut extra, Duration::from_secs(2)).await,
        "closed at once"
    );
    assert_eq!(server.metrics.refused_count(), 1);
    held.clear();
    until(|| server.metrics.open_connections() == 0).await;
    assert_eq!(
        get(server.address, "/healthz").await.0,
        200,
        "room again once they close"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_most_in_flight_are_shed_at_once_but_health_checks_never() {
    let gate = Arc::new(Semaphore::new(0));
    let store = store(Some(Arc::clone(&gate)), Duration::ZERO);
    let limits = ServerLimits {
        max_in_flight: 2,
        ..ServerLimits::default()
    };
    let server = start(Arc::clone(&store), limits).await;
    let address = server.address;
    let running: Vec<_> = (1..=2)
        .map(|id| tokio::spawn(async move { get(address, &format!("/products/{id}/styles")).await }))
        .collect();
    until(|| store.entered.load(Ordering::SeqCst) == 2).await;
    let started = Instant::now();
    let (status, shed) = tokio::time::timeout(Duration::from_secs(2), get(address, "/products/3/styles"))
        .await
        .expect("answered at once, not queued");
    assert_eq!(status, 503, "{shed}");
    assert!(started.elapsed() < Duration::from_secs(1), "at once, not queued");
    let lower = shed.to_ascii_lowercase();
    assert!(
        lower.contains("retry-after: 1") && lower.contains("cache-control: no-store"),
        "{shed}"
    );
    assert!(
        shed.contains(r#"{"error":"the service is overloaded; retry shortly"}"#),
        "{shed}"
    );
    assert_eq!(get(address, "/healthz").await.0, 200, "health checks are never shed");
    assert_eq!(server.metrics.shed_count("overload"), 1);
    gate.add_permits(2);
    for request in running {
        assert_eq!(request.await.unwrap().0, 200);
    }
    assert_eq!(get(address, "/products/4/styles").await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_past_its_deadline_is_answered_503() {
    let limits = ServerLimits {
        request_deadline: Duration::from_millis(200),
        ..ServerLimits::default()
    };
    let server = start(store(None, Duration::from_secs(5)), limits).await;
    let started = Instant::now();
    let (status, answer) = get(server.address, "/products/1/styles").await;
    assert_eq!(status, 503, "{answer}");
    assert!(started.elapsed() < Duration::from_secs(3), "answered at the deadline");
    assert!(answer.contains("did not finish within 200 ms"), "{answer}");
    assert_eq!(server.metrics.shed_count("deadline"), 1);
}
