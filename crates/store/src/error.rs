/// Errors of the storage layer. Messages say what failed and what to do.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot connect to Postgres at {url}: {source}. Is Postgres running? Start it (e.g. `docker compose up -d --wait`) or pass --database-url / set DATABASE_URL")]
    Connect {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("Postgres at {url} refused the role {user:?}: {source}. Check the user name and password in the URL, or create the role (as the postgres user: createuser --createdb {user})")]
    Auth {
        url: String,
        user: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database {database:?} does not exist at {url}; this command only reads, so it creates nothing. Check --database-url / DATABASE_URL, or start a survey there (`mcp-survey run`, `mcp-survey demo`, or `mcp-survey migrate` for an empty one)")]
    NoDatabase { url: String, database: String },
    #[error("database {database:?} has no mcp-survey tables; this command only reads, so it changes nothing. Check --database-url / DATABASE_URL, or run `mcp-survey migrate` against it")]
    NoSchema { database: String },
    #[error("database {database:?} lacks {missing} of this build's schema migrations; this command only reads, so it changes nothing. Run `mcp-survey migrate` to bring it up to date")]
    OutdatedSchema { database: String, missing: usize },
    #[error("invalid database URL {url:?}: {detail}. Expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE")]
    BadUrl { url: String, detail: String },
    #[error("cannot create database {database:?}: {source}. Create it by hand (createdb {database}) or use a role allowed to create databases")]
    CreateDatabase {
        database: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("applying the schema migrations failed: {0}. The database may have been changed by hand or by a newer mcp-survey; use a fresh database")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("no run named {0:?}; `mcp-survey runs` lists the runs")]
    NoSuchRun(String),
    #[error("there is no run yet; start one with `mcp-survey run` or `mcp-survey demo`")]
    NoRuns,
    #[error("a run named {0:?} already exists; choose another --name")]
    RunExists(String),
    #[error("the run {0:?} has already finished; choose another --name for a new snapshot, or rewrite its report with `mcp-survey report --run {0}`")]
    RunFinished(String),
    #[error("job {0} was taken over by another worker after its lease expired; its result was discarded")]
    LeaseLost(i64),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

impl StoreError {
    /// True when Postgres itself cannot be reached or has gone away: the
    /// only store error that ends a stage. Any other one (a value Postgres
    /// refuses, a constraint) belongs to the repository being stored, which
    /// fails alone.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Connect { .. } => true,
            StoreError::Query(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_) => true,
                // Class 08: connection exceptions; 57P: the server is
                // shutting down or restarting; 53: out of resources.
                sqlx::Error::Database(db) => db.code().is_some_and(|c| {
                    c.starts_with("08") || c.starts_with("57P") || c.starts_with("53")
                }),
                _ => false,
            },
            _ => false,
        }
    }
}

pub type Result<T> = std::result::Result<T, StoreError>;
