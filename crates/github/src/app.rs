//! GitHub App authentication: the app's private key signs a short JWT
//! (RS256, by octocrab), which buys an installation token at
//! `POST /app/installations/{id}/access_tokens`. The token is renewed
//! before it expires (after five sixths of its life: ten minutes early on
//! GitHub, whose tokens last an hour) and once more when GitHub answers 401.
//! Neither the key nor a token is ever printed: both live in types whose
//! `Debug` hides them, and reach the wire only as sensitive headers.

use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION};
use http::{HeaderValue, Method, StatusCode};
use http_body_util::BodyExt as _;
use octocrab::models::AppId;
use octocrab::{EncodingKey, Octocrab};
use serde::Deserialize;
use url::Url;

use crate::config::ClientConfig;
use crate::error::{error_chain, GithubError};
use crate::request::{endpoint, JSON_ACCEPT};
use crate::retry::{backoff, error_message};

/// How long an installation token is assumed to live when GitHub does not
/// say (it always has: an hour).
const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// A GitHub App's identity: its id, private key and, optionally, which
/// installation to act as (else the first one GitHub lists).
#[derive(Clone)]
pub struct AppCredentials {
    app_id: u64,
    key: EncodingKey,
    installation: Option<u64>,
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_id", &self.app_id)
            .field("installation", &self.installation)
            .field("key", &"***")
            .finish()
    }
}

impl AppCredentials {
    /// From the app's private key in PEM form (what GitHub hands out, or
    /// `openssl genrsa` makes).
    pub fn from_pem(
        app_id: u64,
        pem: &[u8],
        installation: Option<u64>,
    ) -> Result<Self, GithubError> {
        let key = EncodingKey::from_rsa_pem(pem).map_err(|_| {
            GithubError::InvalidConfig(format!(
                "the private key of GitHub App {app_id} is not an RSA private key in PEM form; \
                 download one from the app's settings page"
            ))
        })?;
        Ok(AppCredentials {
            app_id,
            key,
            installation,
        })
    }

    /// Reads the key file (`--app-private-key`); the error names the file,
    /// never its content.
    pub fn from_pem_file(
        app_id: u64,
        path: &Path,
        installation: Option<u64>,
    ) -> Result<Self, GithubError> {
        let pem = std::fs::read(path).map_err(|e| {
            GithubError::InvalidConfig(format!(
                "cannot read the GitHub App private key {}: {e}",
                path.display()
            ))
        })?;
        AppCredentials::from_pem(app_id, &pem, installation).map_err(|_| {
            GithubError::InvalidConfig(format!(
                "{} is not an RSA private key in PEM form; download the app's key from its \
                 settings page (or make one with `openssl genrsa -out key.pem 2048`)",
                path.display()
            ))
        })
    }

    pub fn app_id(&self) -> u64 {
        self.app_id
    }
}

/// An installation token as a header, and which one it is.
#[derive(Clone)]
pub(crate) struct Issued {
    pub header: HeaderValue,
    pub generation: u64,
}

struct Current {
    issued: Issued,
    renew_at: Instant,
}

#[derive(Default)]
struct TokenState {
    installation: Option<u64>,
    current: Option<Current>,
    generation: u64,
}

/// The installation token of one app, renewed as it ages. Requests share
/// it; renewals are serialised, so one expiry costs one new token.
pub(crate) struct InstallationToken {
    credentials: AppCredentials,
    state: tokio::sync::Mutex<TokenState>,
}

impl InstallationToken {
    pub(crate) fn new(credentials: AppCredentials) -> Self {
        InstallationToken {
            credentials,
            state: tokio::sync::Mutex::new(TokenState::default()),
        }
    }

    pub(crate) fn label(&self) -> String {
        format!(
            "the installation token of GitHub App {} (--app-id)",
            self.credentials.app_id
        )
    }

    /// The current token, renewed first if it is due.
    pub(crate) async fn current(
        &self,
        octo: &Octocrab,
        config: &ClientConfig,
    ) -> Result<Issued, GithubError> {
        let mut state = self.state.lock().await;
        if let Some(c) = &state.current {
            if Instant::now() < c.renew_at {
                return Ok(c.issued.clone());
            }
        }
        let installation = match state.installation {
            Some(id) => id,
            None => {
                let id = match self.credentials.installation {
                    Some(id) => id,
                    None => self.first_installation(octo, config).await?,
                };
                state.installation = Some(id);
                id
            }
        };
        let (header, lifetime) = self.create_token(octo, config, installation).await?;
        state.generation += 1;
        let issued = Issued {
            header,
            generation: state.generation,
        };
        state.current = Some(Current {
            issued: issued.clone(),
            renew_at: Instant::now() + lifetime.mul_f64(5.0 / 6.0),
        });
        tracing::info!(
            app = self.credentials.app_id,
            installation,
            lifetime = ?lifetime,
            "created a GitHub App installation token"
        );
        Ok(issued)
    }

    /// Drops token `generation` after GitHub refused it, unless a newer one
    /// already replaced it.
    pub(crate) async fn discard(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state
            .current
            .as_ref()
            .is_some_and(|c| c.issued.generation == generation)
        {
            state.current = None;
        }
    }

    fn jwt(&self) -> Result<HeaderValue, GithubError> {
        let jwt = octocrab::auth::create_jwt(AppId(self.credentials.app_id), &self.credentials.key)
            .map_err(|e| self.failure(format!("cannot sign the app's JWT ({e})")))?;
        let mut header = HeaderValue::from_str(&format!("Bearer {jwt}"))
            .map_err(|_| self.failure("the signed JWT is not a valid header".into()))?;
        header.set_sensitive(true);
        Ok(header)
    }

    fn failure(&self, detail: String) -> GithubError {
        GithubError::AppAuth {
            app_id: self.credentials.app_id,
            detail,
        }
    }

    /// `GET /app/installations`: the first installation's id.
    async fn first_installation(
        &self,
        octo: &Octocrab,
        config: &ClientConfig,
    ) -> Result<u64, GithubError> {
        #[derive(Deserialize)]
        struct Installation {
            id: u64,
        }
        let url = endpoint(&config.base_url, "app/installations")?;
        let body = self.call(octo, config, Method::GET, &url).await?;
        let list: Vec<Installation> = serde_json::from_slice(&body).map_err(|e| {
            self.failure(format!(
                "GET /app/installations sent an unreadable list ({e})"
            ))
        })?;
        list.first().map(|i| i.id).ok_or_else(|| {
            self.failure(
                "the app is not installed anywhere; install it on the account to survey from"
                    .into(),
            )
        })
    }

    /// `POST /app/installations/{id}/access_tokens`: a token and how long
    /// it lives.
    async fn create_token(
        &self,
        octo: &Octocrab,
        config: &ClientConfig,
        installation: u64,
    ) -> Result<(HeaderValue, Duration), GithubError> {
        let path = format!("app/installations/{installation}/access_tokens");
        let url = endpoint(&config.base_url, &path)?;
        let body = self.call(octo, config, Method::POST, &url).await?;
        let created: octocrab::models::InstallationToken = serde_json::from_slice(&body)
            .map_err(|e| self.failure(format!("POST /{path} sent an unreadable token ({e})")))?;
        let lifetime = created
            .expires_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| {
                (t.with_timezone(&chrono::Utc) - chrono::Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
            })
            .unwrap_or(DEFAULT_TOKEN_LIFETIME);
        let mut header = HeaderValue::from_str(&format!("Bearer {}", created.token))
            .map_err(|_| self.failure("the installation token is not a valid header".into()))?;
        header.set_sensitive(true);
        Ok((header, lifetime))
    }

    /// One App-authenticated call, retried on 5xx and network errors.
    async fn call(
        &self,
        octo: &Octocrab,
        config: &ClientConfig,
        method: Method,
        url: &Url,
    ) -> Result<Bytes, GithubError> {
        let what = format!("{method} {}", url.path());
        let mut failures = 0u32;
        loop {
            let detail = match self.send(octo, method.clone(), url).await? {
                Ok((status, body)) if status.is_success() => return Ok(body),
                Ok((status, _)) if status.is_server_error() => {
                    format!("HTTP {status} from {what}")
                }
                Ok((status, body)) => {
                    return Err(self.failure(format!(
                        "{what} answered {} ({})",
                        status.as_u16(),
                        error_message(&body)
                    )))
                }
                Err(detail) => detail,
            };
            if failures >= config.max_retries {
                return Err(self.failure(format!("{what} failed {} times: {detail}", failures + 1)));
            }
            failures += 1;
            tokio::time::sleep(backoff(config, failures)).await;
        }
    }

    /// Sends once: Ok(Ok(answer)), Ok(Err(network detail)) or a request that
    /// cannot be built.
    async fn send(
        &self,
        octo: &Octocrab,
        method: Method,
        url: &Url,
    ) -> Result<Result<(StatusCode, Bytes), String>, GithubError> {
        let builder = http::Request::builder()
            .method(method.clone())
            .uri(url.as_str())
            .header(ACCEPT, JSON_ACCEPT)
            .header(AUTHORIZATION, self.jwt()?);
        let body = (method == Method::POST).then(serde_json::Map::new);
        let request = octo
            .build_request(builder, body.as_ref())
            .map_err(|e| self.failure(format!("cannot build the request ({})", error_chain(&e))))?;
        let response = match octo.execute(request).await {
            Ok(r) => r,
            Err(e) => return Ok(Err(error_chain(&e))),
        };
        let status = response.status();
        Ok(match response.into_body().collect().await {
            Ok(body) => Ok((status, body.to_bytes())),
            Err(e) => Err(format!("the answer was cut off: {}", error_chain(&e))),
        })
    }
}
