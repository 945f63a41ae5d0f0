//! A private PostgreSQL cluster (and optionally its streaming replica) for
//! tests that stop servers, started through the project's `scripts/pg` with
//! their own data directories and ports, so the shared cluster is never
//! disturbed.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

/// A private cluster under `.data/`, stopped and removed on drop.
pub struct PrivateCluster {
    dir: PathBuf,
    port: u16,
    replica_port: u16,
}

impl PrivateCluster {
    /// A cluster named after `name` and this process, on free ports; nothing
    /// runs until [`up`](Self::up) or [`replica_up`](Self::replica_up).
    pub fn new(name: &str) -> PrivateCluster {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        PrivateCluster {
            dir: root.join(format!(".data/pg-{name}-{}", std::process::id())),
            port: free_port(),
            replica_port: free_port(),
        }
    }

    /// Starts the primary (initialising it on first use); returns the URL of
    /// its `catalog` database.
    pub fn up(&self) -> String {
        self.script(&["up"])
    }

    /// Stops the primary and its replica.
    pub fn down(&self) {
        self.script(&["down"]);
    }

    /// Starts the primary and a streaming replica of it; returns the
    /// replica's URL of the `catalog` database.
    pub fn replica_up(&self) -> String {
        self.script(&["replica", "up"])
    }

    /// Stops the replica only.
    pub fn replica_down(&self) {
        self.script(&["replica", "down"]);
    }

    fn script(&self, args: &[&str]) -> String {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg");
        let output = Command::new(script)
            .args(args)
            .env("CATALOG_PG_DIR", &self.dir)
            .env("CATALOG_PG_PORT", self.port.to_string())
            .env("CATALOG_PG_REPLICA_DIR", self.replica_dir())
            .env("CATALOG_PG_REPLICA_PORT", self.replica_port.to_string())
            .output()
            .expect("run scripts/pg");
        assert!(
            output.status.success(),
            "scripts/pg {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    fn replica_dir(&self) -> PathBuf {
        self.dir.with_extension("replica")
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        self.down();
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::remove_dir_all(self.replica_dir());
        let _ = std::fs::remove_file(self.dir.with_extension("init.log"));
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("a bound address").port()
}
