use crate::error::{Result, StoreError};
use crate::{Store, MIGRATOR};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::collections::BTreeSet;
use std::str::FromStr;
use std::time::Duration;

/// Connects to the survey database, creating it when missing, and applies
/// the embedded migrations: for the commands that write a survey.
pub async fn connect(url: &str, max_connections: u32) -> Result<Store> {
    let (options, database) = check_url(url)?;
    create_database_if_missing(&options, &database, url).await?;
    let store = pool(&options, url, max_connections).await?;
    MIGRATOR.run(store.pool()).await?;
    Ok(store)
}

/// Connects to an existing survey database without creating or migrating
/// anything: for the commands that only read (`runs`, `status`, `report`,
/// `export`). A missing database, or one without this build's schema, is
/// an error that says so instead of an empty database made up on the spot.
pub async fn open_existing(url: &str, max_connections: u32) -> Result<Store> {
    let (options, database) = check_url(url)?;
    match options.connect().await {
        Ok(conn) => {
            let _ = conn.close().await;
        }
        Err(e) if is_missing_database(&e) => {
            return Err(StoreError::NoDatabase {
                url: redact_url(url),
                database,
            })
        }
        Err(source) => return Err(connect_error(url, &options, source)),
    }
    let store = pool(&options, url, max_connections).await?;
    check_schema(&store, &database).await?;
    Ok(store)
}

/// Checks a database URL before any connection: a Postgres scheme, a
/// host or socket, and a database of its own, never the server's
/// maintenance (`postgres`) or template databases. Returns the connection
/// options and the database name.
pub fn check_url(url: &str) -> Result<(PgConnectOptions, String)> {
    let bad = |detail: String| StoreError::BadUrl {
        url: redact_url(url),
        detail,
    };
    let parsed = url::Url::parse(url.trim()).map_err(|e| bad(format!("not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(bad(format!(
            "the scheme {:?} is not Postgres's (mcp-survey stores its data in PostgreSQL only)",
            parsed.scheme()
        )));
    }
    let from_path = parsed.path().trim_start_matches('/');
    let database = if from_path.is_empty() {
        // libpq's `?dbname=` form, which sqlx also reads.
        parsed
            .query_pairs()
            .find(|(k, _)| k == "dbname")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    } else {
        percent_decode(from_path)
    };
    if database.is_empty() {
        return Err(bad(
            "it names no database; add one at the end, e.g. /mcp_survey".into(),
        ));
    }
    if database == "postgres" || database.starts_with("template") {
        return Err(bad(format!(
            "{database:?} is one of Postgres's own databases, not a place for survey tables; \
             name a database of its own, e.g. /mcp_survey"
        )));
    }
    let options = PgConnectOptions::from_str(url.trim()).map_err(|e| bad(e.to_string()))?;
    Ok((options, database))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn pool(options: &PgConnectOptions, url: &str, max_connections: u32) -> Result<Store> {
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
        .map_err(|source| connect_error(url, options, source))?;
    Ok(Store::from_pool(pool))
}

/// Postgres answered but refused the role or its password (SQLSTATE class
/// 28): a different fix from a server that is not running.
fn connect_error(url: &str, options: &PgConnectOptions, source: sqlx::Error) -> StoreError {
    let refused = matches!(&source, sqlx::Error::Database(db)
        if db.code().is_some_and(|c| c.starts_with("28")));
    if refused {
        StoreError::Auth {
            url: redact_url(url),
            user: options.get_username().to_string(),
            source,
        }
    } else {
        StoreError::Connect {
            url: redact_url(url),
            source,
        }
    }
}

fn is_missing_database(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(db) if db.code().as_deref() == Some("3D000"))
}

/// The database holds this build's schema: every embedded migration applied.
async fn check_schema(store: &Store, database: &str) -> Result<()> {
    // Runtime SQL: `_sqlx_migrations` may be missing (that is what this
    // checks), and the schema the macros are checked against lacks it.
    let applied: Vec<(i64,)> =
        match sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(store.pool())
            .await
        {
            Ok(rows) => rows,
            // 42P01: undefined table, i.e. never migrated.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("42P01") => {
                return Err(StoreError::NoSchema {
                    database: database.to_string(),
                })
            }
            Err(e) => return Err(e.into()),
        };
    let applied: BTreeSet<i64> = applied.into_iter().map(|(v,)| v).collect();
    let missing = MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration() && !applied.contains(&m.version))
        .count();
    if missing > 0 {
        return Err(StoreError::OutdatedSchema {
            database: database.to_string(),
            missing,
        });
    }
    Ok(())
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
    if !is_missing_database(&connect_err) {
        return Err(connect_error(url, options, connect_err));
    }
    let mut admin = options
        .clone()
        .database("postgres")
        .connect()
        .await
        .map_err(|source| connect_error(url, options, source))?;
    // Runtime SQL: a database name cannot be a bind parameter.
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

/// The URL with any password replaced, for messages and logs. A text that
/// does not parse as a URL is shown as given, but for what sits between
/// `user:` and `@`.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) => {
            let start = url.find("://").map(|i| i + 3).unwrap_or(0);
            match (url[start..].rfind('@'), url[start..].find(':')) {
                (Some(at), Some(colon)) if colon < at => {
                    format!("{}***{}", &url[..start + colon + 1], &url[start + at..])
                }
                _ => url.to_string(),
            }
        }
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
        assert_eq!(
            redact_url("postgres://me:se cret@db:99999/x"),
            "postgres://me:***@db:99999/x"
        );
        assert_eq!(redact_url("notaurl"), "notaurl");
    }

    fn refusal(url: &str) -> String {
        match check_url(url) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{url} must be refused"),
        }
    }

    #[test]
    fn urls_are_checked_before_any_connection() {
        assert!(refusal("mysql://root@127.0.0.1/x").contains("\"mysql\" is not Postgres's"));
        assert!(refusal("notaurl").contains("not a URL"));
        assert!(refusal("postgres://postgres@127.0.0.1:5432").contains("names no database"));
        assert!(refusal("postgres://postgres@127.0.0.1:5432/").contains("names no database"));
        assert!(refusal("postgres://u@h/postgres").contains("Postgres's own databases"));
        assert!(refusal("postgresql://u@h/template1").contains("Postgres's own databases"));
        let masked = refusal("mysql://me:hunter2@h/x");
        assert!(!masked.contains("hunter2"), "{masked}");
        assert!(masked.contains("me:***@h"), "{masked}");
        let (_, db) = check_url("postgres://u@h:5432/my%20survey").expect("valid");
        assert_eq!(db, "my survey");
        let (_, db) = check_url("postgres:///?dbname=survey&host=/tmp").expect("socket form");
        assert_eq!(db, "survey");
    }
}
