use crate::error::{Result, StoreError};
use crate::{Store, MIGRATOR};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;

/// Connects to the survey database, creating it when missing, and applies
/// the embedded migrations.
pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
    let options = PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl {
        url: redact_url(url),
        detail: e.to_string(),
    })?;
    let database = options.get_database().unwrap_or("postgres").to_string();
    create_database_if_missing(&options, &database, url).await?;
    let pool = PgPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(
            options
                .clone()
                .log_statements(tracing::log::LevelFilter::Trace)
                .log_slow_statements(tracing::log::LevelFilter::Debug, Duration::from_secs(5)),
        )
        .await
        .map_err(|source| StoreError::Connect {
            url: redact_url(url),
            source,
        })?;
    MIGRATOR.run(&pool).await?;
    Ok(Store::from_pool(pool))
}

async fn create_database_if_missing(
    options: &PgConnectOptions,
    database: &str,
    url: &str,
) -> Result<()> {
    // Try the target first: the common case needs no maintenance connection,
    // and a role without access to `postgres` still works.
    let connect_err = match options.connect().await {
        Ok(conn) => {
            let _ = conn.close().await;
            return Ok(());
        }
        Err(e) => e,
    };
    let missing =
        matches!(&connect_err, sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000"));
    if !missing {
        return Err(StoreError::Connect {
            url: redact_url(url),
            source: connect_err,
        });
    }
    let mut admin = options
        .clone()
        .database("postgres")
        .connect()
        .await
        .map_err(|source| StoreError::Connect {
            url: redact_url(url),
            source,
        })?;
    let statement = format!("CREATE DATABASE \"{}\"", database.replace('"', "\"\""));
    match sqlx::query(&statement).execute(&mut admin).await {
        Ok(_) => {
            tracing::info!(database, "created database");
            Ok(())
        }
        // Another process created it between our two connections.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P04") => Ok(()),
        Err(source) => Err(StoreError::CreateDatabase {
            database: database.to_string(),
            source,
        }),
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => "<unparsable URL>".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://me:secret@db:5432/x"),
            "postgres://me:***@db:5432/x"
        );
        assert_eq!(redact_url("postgres://me@db/x"), "postgres://me@db/x");
    }
}
