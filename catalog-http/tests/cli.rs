//! The `catalog-http` binary: its commands, exit statuses and error lines.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn catalog_http(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_catalog-http"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run catalog-http")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn generate_then_check_reports_every_dirty_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rejects = dir.path().join("rejects.csv");
    let generated = catalog_http(&[
        "generate",
        "--products",
        "300",
        "--seed",
        "5",
        "--dirty",
        "0.05",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(generated.status.success(), "{}", stderr(&generated));

    let checked = catalog_http(&[
        "check",
        "--data",
        data.to_str().unwrap(),
        "--rejects",
        rejects.to_str().unwrap(),
    ]);
    assert!(checked.status.success(), "{}", stderr(&checked));
    let report = stderr(&checked);
    assert!(
        report.contains("product.csv") && report.contains("related.csv"),
        "{report}"
    );

    let dirty_lines = count_records(&data.join("dirty.csv"));
    assert!(dirty_lines > 0);
    assert_eq!(count_records(&rejects), dirty_lines, "one reject per dirty line");
}

fn count_records(path: &Path) -> usize {
    csv::Reader::from_path(path).unwrap().records().count()
}

#[test]
fn a_missing_directory_fails_with_one_line() {
    let output = catalog_http(&["check", "--data", "/nonexistent/catalog"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.starts_with("catalog-http: cannot read /nonexistent/catalog/product.csv"),
        "{message}"
    );
}

#[test]
fn a_refused_header_fails_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    assert!(
        catalog_http(&["generate", "--products", "10", "--out", data])
            .status
            .success()
    );
    std::fs::write(dir.path().join("styles.csv"), "id,product_id,name\n").unwrap();
    let output = catalog_http(&["serve", "--data", data, "--listen", "127.0.0.1:0"]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("styles.csv has header") && message.contains("expected"),
        "{message}"
    );
}

#[test]
fn bad_flags_are_refused() {
    let output = catalog_http(&["generate", "--products", "10", "--dirty", "2", "--out", "/tmp/x"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--dirty must be between 0 and 1"));
    assert!(!catalog_http(&["serve", "--store", "oracle"]).status.success());
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let git = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    let commit = match git {
        Ok(out) if out.status.success() => String::from_utf8(out.stdout).unwrap().trim().to_owned(),
        _ => "unknown".to_owned(),
    };
    let output = catalog_http(&["--version"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        format!("catalog-http {} (commit {commit})", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn completions_and_the_man_page_cover_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = catalog_http(&["completions", shell]);
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        for word in ["serve", "import", "token", "max-in-flight", "no-docs"] {
            assert!(script.contains(word), "{shell} completions miss {word}");
        }
    }
    assert!(!catalog_http(&["completions", "tcsh"]).status.success());

    let page = catalog_http(&["man"]);
    assert!(page.status.success(), "{}", stderr(&page));
    let roff = stdout(&page);
    assert!(roff.contains(".TH catalog-http 1"), "{roff}");
    // roff escapes each hyphen of a flag.
    assert!(roff.contains(r"\-\-max\-in\-flight"), "{roff}");

    let dir = tempfile::tempdir().unwrap();
    let written = catalog_http(&["man", "--out", dir.path().to_str().unwrap()]);
    assert!(written.status.success(), "{}", stderr(&written));
    for page in [
        "catalog-http.1",
        "catalog-http-serve.1",
        "catalog-http-import.1",
        "catalog-http-token-create.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).unwrap_or_else(|err| panic!("{page}: {err}"));
        assert!(text.contains(".SH OPTIONS"), "{page}");
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    for args in [&["man"][..], &["completions", "bash"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_catalog-http"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Closed before the child writes: its first write meets a broken pipe.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert_eq!(stderr(&output), "", "{args:?}");
    }
}

/// The service started with `args` on a free port, once it logs that it
/// serves, with the rest of its log lines.
fn start_service(args: &[&str]) -> (KillOnDrop, std::io::Lines<BufReader<std::process::ChildStderr>>, u16) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_catalog-http"))
        .args(args)
        .env("CATALOG_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let mut lines = BufReader::new(child.0.stderr.take().unwrap()).lines();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !lines.next().unwrap().unwrap().contains("serving the catalog") {
        assert!(Instant::now() < deadline, "the service did not start");
    }
    (child, lines, port)
}

fn sigterm(child: &KillOnDrop) {
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The README's first command, on a free port: it serves a generated catalog
/// and stops cleanly on SIGTERM.
#[test]
fn serves_a_generated_catalog_and_stops_on_sigterm() {
    let (mut child, _lines, port) = start_service(&["--generate", "500"]);
    let body = http_get(port, "/products/1/related");
    assert!(body.starts_with("HTTP/1.0 200 OK") && body.ends_with(']'), "{body}");
    sigterm(&child);
    assert!(child.0.wait().unwrap().success(), "exit status 0 after SIGTERM");
}

/// `--log-format json`: every log line is one JSON object, requests included,
/// with the request id a load balancer set.
#[test]
fn json_logs_are_one_object_per_line() {
    let (mut child, lines, port) = start_service(&["--generate", "50", "--log-format", "json"]);
    let answer = http_get_with(port, "/products/7", "X-Request-Id: 3f2a9c\r\n");
    assert!(answer.starts_with("HTTP/1.0 200 OK"));
    sigterm(&child);
    assert!(child.0.wait().unwrap().success());
    let events: Vec<serde_json::Value> = lines
        .map(|line| {
            let line = line.unwrap();
            serde_json::from_str(&line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"))
        })
        .collect();
    let request = events
        .iter()
        .find(|event| event["message"] == "request")
        .expect("a request event");
    assert_eq!(request["path"], "/products/7");
    assert_eq!(request["status"], 200);
    assert_eq!(request["request_id"], "3f2a9c");
    assert_eq!(request["level"], "INFO");
    assert!(events.iter().any(|event| event["message"] == "stopped"));
}

/// A re-import into PostgreSQL shows in a running service within its
/// generation check, long before its cached answers would expire.
#[test]
fn a_running_service_serves_a_reimported_catalog_before_its_cache_expires() {
    let db = catalog_pg::testing::TestDatabase::empty();
    let dir = tempfile::tempdir().unwrap();
    let generate = |seed: &str| {
        let out = dir.path().join(seed);
        let generated = catalog_http(&[
            "generate",
            "--products",
            "40",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(generated.status.success(), "{}", stderr(&generated));
        out
    };
    let import = |data: &Path| {
        let imported = Command::new(env!("CARGO_BIN_EXE_catalog-http"))
            .args(["import", "--data", data.to_str().unwrap(), "--database-url", db.url()])
            .arg("--rejects")
            .arg(dir.path().join("rejects.csv"))
            .output()
            .unwrap();
        assert!(imported.status.success(), "{}", stderr(&imported));
    };
    let (before, after) = (generate("3"), generate("4"));
    let name_of_product_1 = |data: &Path| {
        let mut products = csv::Reader::from_path(data.join("product.csv")).unwrap();
        products.records().next().unwrap().unwrap()[1].to_owned()
    };
    let new_name = name_of_product_1(&after);
    assert_ne!(
        name_of_product_1(&before),
        new_name,
        "the two seeds must differ in product 1"
    );
    import(&before);

    let (_child, _lines, port) = start_service(&[
        "serve",
        "--store",
        "pg",
        "--database-url",
        db.url(),
        "--cache-ttl-secs",
        "3600",
        "--generation-check-ms",
        "100",
    ]);
    let body = |path: &str| {
        let answer = http_get(port, path);
        answer.split_once("\r\n\r\n").expect("a body").1.to_owned()
    };
    let cached = body("/products/1");
    assert_eq!(body("/products/1"), cached);
    import(&after);
    let deadline = Instant::now() + Duration::from_secs(15);
    while body("/products/1") == cached {
        assert!(
            Instant::now() < deadline,
            "still the old answer 15 s after the re-import"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(body("/products/1").contains(&format!(r#""name":"{new_name}""#)));
    assert!(
        body("/metrics")
            .lines()
            .any(|line| line == "catalog_cache_flushes_total 1")
    );
}

/// Stops the server even when an assertion fails first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A minimal HTTP/1.0 GET, so this test needs no async runtime.
fn http_get(port: u16, path: &str) -> String {
    http_get_with(port, path, "")
}

/// [`http_get`] with `headers`, each line ending in `\r\n`.
fn http_get_with(port: u16, path: &str, headers: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n{headers}\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}
