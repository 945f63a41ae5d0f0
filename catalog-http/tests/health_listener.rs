//! `--health-listen`: `/healthz` and `/readyz` on a listener of their own,
//! answered by a thread of their own even while the service's runtime is
//! too busy to answer anything (here: blocked outright).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use catalog_http::app::{App, Settings, StoreSettings};

/// The status line of `GET path` on `address` (a blocking client), or the
/// error when no answer came within `patience`.
fn status_line(address: SocketAddr, path: &str, patience: Duration) -> std::io::Result<String> {
    let mut stream = TcpStream::connect_timeout(&address, patience)?;
    stream.set_read_timeout(Some(patience))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    Ok(answer.lines().next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn health_checks_are_answered_apart_while_the_service_is_stuck() {
    let app = App::build(Settings {
        listen: "127.0.0.1:0".parse().expect("an address"),
        health_listen: Some("127.0.0.1:0".parse().expect("an address")),
        store: StoreSettings::Generated { products: 20, seed: 1 },
        cache: None,
        ..Settings::default()
    })
    .await
    .expect("build the app");
    let main = app.address();
    let health = app.health_address().expect("a health address");
    tokio::spawn(app.run_until(std::future::pending()));
    let client = reqwest::Client::new();
    for _ in 0..100 {
        if client.get(format!("http://{main}/healthz")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // This test's runtime is the service's: blocking it here stops the
    // service's own listener from answering, but not the health thread.
    let probes = std::thread::spawn(move || {
        let patience = Duration::from_secs(5);
        (
            status_line(health, "/healthz", patience).expect("/healthz answered"),
            status_line(health, "/readyz", patience).expect("/readyz answered"),
            status_line(health, "/products", patience).expect("/products answered"),
            status_line(main, "/healthz", Duration::from_millis(500)),
        )
    });
    let (healthz, readyz, products, main_healthz) = probes.join().expect("the probes ran");

    assert_eq!(healthz, "HTTP/1.1 200 OK");
    assert_eq!(readyz, "HTTP/1.1 200 OK");
    assert_eq!(
        products, "HTTP/1.1 404 Not Found",
        "only the health checks are served apart"
    );
    assert!(
        main_healthz.is_err(),
        "the service's listener was stuck too: {main_healthz:?}"
    );
}
