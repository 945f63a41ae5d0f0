//! Fresh databases for tests, on the server `DATABASE_URL` names (the
//! project's `scripts/pg up` prints it).
//!
//! A test gets its own database, copied from a template database that is
//! built once per test run (under an advisory lock, so parallel test
//! processes build it once) and dropped when the test ends. Tests that stop
//! servers get a [`PrivateCluster`] instead.

mod cluster;

pub use cluster::PrivateCluster;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// The server's URL from `DATABASE_URL`; panics with how to set it.
pub fn server_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!("DATABASE_URL is not set: start the project's cluster with `scripts/pg up` and export what it prints")
    })
}

/// `url` with its database name replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    format!("{server}/{database}{query}")
}

fn admin() -> PgConnection {
    let url = with_database(&server_url(), "postgres");
    PgConnection::establish(&url).unwrap_or_else(|err| panic!("cannot connect to {url}: {err}"))
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// A database that is dropped (with its connections) when this value is.
pub struct TestDatabase {
    name: String,
    url: String,
}

impl TestDatabase {
    /// A new database copied from `template`, which `build` fills (given its
    /// URL) the first time any test of this run asks for it.
    pub fn from_template(template: &str, build: impl FnOnce(&str)) -> TestDatabase {
        let mut admin = admin();
        admin
            .batch_execute(&format!("SELECT pg_advisory_lock(hashtext('{template}'))"))
            .expect("advisory lock");
        let exists = diesel::sql_query("SELECT count(*) AS count FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(template)
            .get_result::<Count>(&mut admin)
            .expect("look up the template")
            .count
            > 0;
        if !exists {
            let building = format!("{template}_building");
            // Separate statements: DROP and CREATE DATABASE refuse to run in a transaction.
            let drop_stale = format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)");
            admin.batch_execute(&drop_stale).expect("drop a stale template");
            admin
                .batch_execute(&format!("CREATE DATABASE {building}"))
                .expect("create the template");
            build(&with_database(&server_url(), &building));
            admin
                .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
                .expect("rename the template");
        }
        admin
            .batch_execute(&format!("SELECT pg_advisory_unlock(hashtext('{template}'))"))
            .expect("advisory unlock");
        TestDatabase::create(&mut admin, &format!("TEMPLATE {template}"))
    }

    /// A new empty database.
    pub fn empty() -> TestDatabase {
        TestDatabase::create(&mut admin(), "")
    }

    fn create(admin: &mut PgConnection, options: &str) -> TestDatabase {
        let name = format!("catalog_test_{}_{}", std::process::id(), unique_suffix());
        admin
            .batch_execute(&format!("CREATE DATABASE {name} {options}"))
            .expect("create the test database");
        let url = with_database(&server_url(), &name);
        TestDatabase { name, url }
    }

    /// The database's URL.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let dropped = admin().batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        if let Err(err) = dropped {
            eprintln!("cannot drop test database {}: {err}", self.name);
        }
    }
}

/// Runs the SQL `statements` on the database at `url` (test set-up).
pub fn execute(url: &str, statements: &str) {
    let mut conn = PgConnection::establish(url).unwrap_or_else(|err| panic!("cannot connect to {url}: {err}"));
    conn.batch_execute(statements)
        .unwrap_or_else(|err| panic!("{statements}: {err}"));
}

/// A name suffix unique within this process.
fn unique_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    u64::from(nanos) * 1000 + NEXT.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_name() {
        let url = "postgres://u@127.0.0.1:54329/catalog?sslmode=disable";
        assert_eq!(
            super::with_database(url, "x"),
            "postgres://u@127.0.0.1:54329/x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h/db", "y"), "postgres://h/y");
    }
}
