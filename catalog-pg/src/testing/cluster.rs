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

    /// Kills the primary as a crash would: SIGKILL to its postmaster and
    /// every process it started, at once (no checkpoint, no WAL flush at
    /// exit), then waits until they are gone. [`up`](Self::up) restarts it
    /// with crash recovery.
    pub fn kill(&self) {
        let pid_file = self.dir.join("postmaster.pid");
        let contents = std::fs::read_to_string(&pid_file).unwrap_or_else(|err| panic!("{}: {err}", pid_file.display()));
        let postmaster = contents.lines().next().expect("the postmaster's pid").trim().to_owned();
        let children = Command::new("pgrep")
            .args(["-P", &postmaster])
            .output()
            .expect("run pgrep");
        let children = String::from_utf8_lossy(&children.stdout).into_owned();
        let mut pids: Vec<&str> = children.split_whitespace().collect();
        pids.push(&postmaster);
        Command::new("kill")
            .arg("-KILL")
            .args(&pids)
            .status()
            .expect("run kill");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while pids
            .iter()
            .any(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists())
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the killed cluster's processes did not exit"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }

    /// Stops the replica's processes where they are (SIGSTOP), as a host
    /// that stops answering without refusing connections: connections open
    /// and queries are sent, and nothing comes back.
    pub fn replica_freeze(&self) {
        assert!(self.signal_replica("STOP"), "kill -STOP the replica's postmaster");
    }

    /// Lets the replica's processes go on (SIGCONT) after
    /// [`replica_freeze`](Self::replica_freeze).
    pub fn replica_thaw(&self) {
        assert!(self.signal_replica("CONT"), "kill -CONT the replica's postmaster");
    }

    /// Sends `signal` to the replica's postmaster, then to every process it
    /// started (the postmaster first, so a stopped one forks no new child).
    /// A child may exit meanwhile: whether the postmaster received it is
    /// what is returned.
    fn signal_replica(&self, signal: &str) -> bool {
        let pid_file = self.replica_dir().join("postmaster.pid");
        let contents = std::fs::read_to_string(&pid_file).unwrap_or_else(|err| panic!("{}: {err}", pid_file.display()));
        let postmaster = contents.lines().next().expect("the postmaster's pid").trim().to_owned();
        let kill = |pids: &[&str]| {
            Command::new("kill")
                .arg(format!("-{signal}"))
                .args(pids)
                .status()
                .expect("run kill")
                .success()
        };
        if !kill(&[&postmaster]) {
            return false;
        }
        let children = Command::new("pgrep")
            .args(["-P", &postmaster])
            .output()
            .expect("run pgrep");
        let children = String::from_utf8_lossy(&children.stdout);
        let children: Vec<&str> = children.split_whitespace().collect();
        if !children.is_empty() {
            kill(&children);
        }
        true
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
        // A frozen replica would never stop; letting a running one go on is harmless.
        if self.replica_dir().join("postmaster.pid").exists() {
            let _ = self.signal_replica("CONT");
        }
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
