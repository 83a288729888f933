//! A fresh database per test: created on the server named by
//! `MCP_SURVEY_TEST_DATABASE_URL` (default: the local `postgres` database),
//! migrated, and dropped when the `TestDb` is dropped, so a test that fails
//! or panics leaves no database behind. `TestDb::drop_db` does the same
//! awaiting, for a test that wants to see an error.

use crate::error::Result;
use crate::{connect, Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn admin_url() -> String {
    std::env::var("MCP_SURVEY_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

/// A database of its own for one test, dropped with it.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub name: String,
    /// Set once `drop_db` has dropped the database, so `Drop` has nothing to do.
    dropped: bool,
}

impl TestDb {
    pub async fn create() -> Result<TestDb> {
        let name = format!(
            "mcp_survey_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand::random::<u32>()
        );
        let admin = admin_url();
        let options = PgConnectOptions::from_str(&admin)?.database(&name);
        let url = options.to_url_lossy().to_string();
        let store = connect(&url, 8).await?;
        Ok(TestDb {
            store,
            url,
            name,
            dropped: false,
        })
    }

    /// Drops the database (closing this test's connections first).
    pub async fn drop_db(mut self) -> Result<()> {
        self.store.close().await;
        drop_database(&self.name).await?;
        self.dropped = true;
        Ok(())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.dropped {
            drop_database_blocking(&self.name);
        }
    }
}

/// Drops the database of that name when dropped: for a test whose database
/// is made by the command it runs rather than by `TestDb`.
pub struct DropDatabaseOnExit(pub String);

impl Drop for DropDatabaseOnExit {
    fn drop(&mut self) {
        drop_database_blocking(&self.0);
    }
}

/// `Drop` cannot await and may run inside the test's runtime (while a
/// failed assertion unwinds), where blocking on that runtime would panic:
/// the drop runs on a thread of its own with a runtime of its own.
/// `WITH (FORCE)` ends the test's connections still open.
fn drop_database_blocking(name: &str) {
    let owned = name.to_string();
    let dropped = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        runtime
            .block_on(drop_database(&owned))
            .map_err(std::io::Error::other)
    })
    .join();
    match dropped {
        Ok(Ok(())) => {}
        Ok(Err(e)) => eprintln!("test database {name} was not dropped: {e}"),
        Err(_) => eprintln!("test database {name} was not dropped: the drop panicked"),
    }
}

/// A connection to the test server: to the admin URL's database, or to
/// `database` there.
async fn admin_connection(database: Option<&str>) -> Result<PgConnection> {
    let options = PgConnectOptions::from_str(&admin_url())?;
    let options = match database {
        Some(name) => options.database(name),
        None => options,
    };
    Ok(options.connect().await?)
}

/// Every database on the test server.
pub async fn server_databases() -> Result<Vec<String>> {
    let mut admin = admin_connection(None).await?;
    let names = sqlx::query_scalar!(r#"SELECT datname::text AS "name!" FROM pg_database"#)
        .fetch_all(&mut admin)
        .await?;
    let _ = admin.close().await;
    Ok(names)
}

/// The (schema, table) pairs of `database` outside Postgres's own schemas.
pub async fn user_tables(database: &str) -> Result<Vec<(String, String)>> {
    let mut conn = admin_connection(Some(database)).await?;
    let tables = sqlx::query!(
        r#"SELECT table_schema::text AS "schema!", table_name::text AS "table!"
           FROM information_schema.tables
           WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"#
    )
    .fetch_all(&mut conn)
    .await?;
    let _ = conn.close().await;
    Ok(tables.into_iter().map(|t| (t.schema, t.table)).collect())
}

async fn drop_database(name: &str) -> Result<()> {
    let mut admin = admin_connection(None).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await?;
    let _ = admin.close().await;
    Ok(())
}
