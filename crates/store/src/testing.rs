//! A fresh database per test: created on the server named by
//! `MCP_SURVEY_TEST_DATABASE_URL` (default: the local `postgres` database),
//! migrated, and dropped by `TestDb::drop_db`.

use crate::error::Result;
use crate::{connect, Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn admin_url() -> String {
    std::env::var("MCP_SURVEY_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_string())
}

/// A database of its own for one test.
pub struct TestDb {
    pub store: Store,
    pub url: String,
    pub name: String,
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
        Ok(TestDb { store, url, name })
    }

    /// Drops the database (closing this test's connections first).
    pub async fn drop_db(self) -> Result<()> {
        self.store.pool().close().await;
        let mut admin = PgConnectOptions::from_str(&admin_url())?.connect().await?;
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await?;
        let _ = admin.close().await;
        Ok(())
    }
}
