//! GitHub App authentication, as GitHub does it: the app signs a JWT (RS256)
//! with its private key and trades it for an installation token at
//! `POST /app/installations/{id}/access_tokens`; `GET /app/installations`
//! lists where the app is installed. The JWT is checked against the app's
//! public key with GitHub's rules (`iss` the app id, `iat` not in the
//! future, `exp` in the future and at most ten minutes after `iat`, in real
//! seconds). Installation tokens expire after an hour shortened
//! `time_scale` times, like the rate-limit windows; an expired one is
//! answered 401 like a revoked token, and counted.
//!
//! Each app is installed once, on the account `sim-org`, as installation
//! [`installation_id`]`(app id)`. All tokens of one installation share its
//! rate limits, as on GitHub.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::handler::parse_auth;
use super::replies::{error_json, finish_json, Reply};
use super::routing::Route;
use super::AppState;
use crate::error::SimError;

/// How long GitHub's installation tokens live, before time scaling.
const TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// GitHub refuses an app JWT whose `exp` is more than ten minutes on.
const MAX_JWT_LIFETIME_SECS: i64 = 600;
/// Clock drift tolerated on `iat` (GitHub advises backdating it by 60 s).
const IAT_DRIFT_SECS: i64 = 30;
/// Where installation tokens start, as GitHub's do.
pub const INSTALLATION_TOKEN_PREFIX: &str = "ghs_";

/// An app the simulator knows: its id and its public key (PEM).
#[derive(Debug, Clone, PartialEq)]
pub struct AppKey {
    pub id: u64,
    pub public_key_pem: String,
}

impl AppKey {
    /// Reads `ID=PUBLIC_KEY_PEM_PATH` (the `sim --app` argument).
    pub fn parse_spec(spec: &str) -> Result<AppKey, String> {
        let (id, path) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?} is not ID=PUBLIC_KEY_PEM_PATH"))?;
        let id: u64 = id
            .trim()
            .parse()
            .map_err(|_| format!("app id {id:?} is not a positive number"))?;
        let public_key_pem = std::fs::read_to_string(path.trim()).map_err(|e| {
            format!(
                "cannot read the public key {path}: {e}; make one with \
                 `openssl rsa -in key.pem -pubout -out pub.pem`"
            )
        })?;
        Ok(AppKey { id, public_key_pem })
    }
}

/// The installation of app `app_id` the simulator serves.
pub fn installation_id(app_id: u64) -> u64 {
    10_000_000 + app_id
}

/// What the App flow saw, for `SimStats`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AppStats {
    /// Installation tokens created.
    pub tokens_issued: u64,
    /// App JWTs refused (bad signature, unknown app, iat/exp out of range).
    pub jwt_refusals: u64,
    /// Requests that carried an expired installation token (answered 401).
    pub expired_token_requests: u64,
    /// Of those, the ones sent after the installation's second token was
    /// issued: a client that refreshes in time sends none.
    pub expired_after_first_refresh: u64,
}

struct Issued {
    installation: u64,
    expires_at: Instant,
}

#[derive(Default)]
struct Ledger {
    tokens: HashMap<String, Issued>,
    /// Tokens issued per installation.
    per_installation: HashMap<u64, u64>,
    stats: AppStats,
}

/// The apps and the installation tokens issued so far.
pub(super) struct AppRegistry {
    keys: Vec<(u64, DecodingKey)>,
    token_lifetime: Duration,
    ledger: Mutex<Ledger>,
}

/// What an installation token in an `Authorization` header is.
pub(super) enum InstallationCaller {
    Valid { installation: u64 },
    Expired,
    Unknown,
}

impl AppRegistry {
    pub(super) fn new(apps: &[AppKey], time_scale: f64) -> Result<Self, SimError> {
        let mut keys = Vec::new();
        for app in apps {
            let key = DecodingKey::from_rsa_pem(app.public_key_pem.as_bytes()).map_err(|e| {
                SimError::Config(format!(
                    "the public key of app {} is not an RSA public key in PEM form ({e})",
                    app.id
                ))
            })?;
            keys.push((app.id, key));
        }
        Ok(AppRegistry {
            keys,
            token_lifetime: Duration::from_secs_f64(TOKEN_LIFETIME.as_secs_f64() / time_scale),
            ledger: Mutex::new(Ledger::default()),
        })
    }

    fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn enabled(&self) -> bool {
        !self.keys.is_empty()
    }

    pub(super) fn report(&self) -> AppStats {
        self.ledger().stats.clone()
    }

    /// Looks an installation token up, counting an expired one.
    pub(super) fn check_token(&self, token: &str) -> InstallationCaller {
        let mut ledger = self.ledger();
        let Some(issued) = ledger.tokens.get(token) else {
            return InstallationCaller::Unknown;
        };
        if Instant::now() < issued.expires_at {
            return InstallationCaller::Valid {
                installation: issued.installation,
            };
        }
        let refreshed = ledger
            .per_installation
            .get(&issued.installation)
            .is_some_and(|n| *n >= 2);
        ledger.stats.expired_token_requests += 1;
        if refreshed {
            ledger.stats.expired_after_first_refresh += 1;
        }
        InstallationCaller::Expired
    }

    /// The app a JWT authenticates, or GitHub's message for why not.
    fn verify_jwt(&self, headers: &HeaderMap) -> Result<u64, &'static str> {
        let jwt = match parse_auth(headers) {
            Some(Ok(t)) => t,
            _ => return Err("A JSON web token could not be decoded"),
        };
        #[derive(Deserialize)]
        struct Claims {
            iss: Value,
            iat: i64,
            exp: i64,
        }
        let header = jsonwebtoken::decode_header(&jwt)
            .map_err(|_| "A JSON web token could not be decoded")?;
        if header.alg != Algorithm::RS256 {
            return Err("A JSON web token could not be decoded");
        }
        // The claims are read unverified only to find the app's key; the
        // signature is checked with that key below.
        let unverified = jsonwebtoken::dangerous::insecure_decode::<Claims>(&jwt)
            .map_err(|_| "A JSON web token could not be decoded")?;
        let iss = match &unverified.claims.iss {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or("'Issuer' claim ('iss') must be an Integer")?;
        let key = self
            .keys
            .iter()
            .find(|(id, _)| *id == iss)
            .map(|(_, k)| k)
            .ok_or("Integration not found")?;
        let mut strict = Validation::new(Algorithm::RS256);
        strict.validate_exp = false;
        strict.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Claims>(&jwt, key, &strict)
            .map_err(|_| "A JSON web token could not be decoded")?
            .claims;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        if claims.iat > now + IAT_DRIFT_SECS {
            return Err(
                "'Issued at' claim ('iat') must be an Integer representing a time in the past",
            );
        }
        if claims.exp <= now {
            return Err("'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
        }
        if claims.exp - claims.iat > MAX_JWT_LIFETIME_SECS
            || claims.exp > now + MAX_JWT_LIFETIME_SECS
        {
            return Err("'Expiration time' claim ('exp') is too far in the future");
        }
        Ok(iss)
    }

    fn issue(&self, installation: u64) -> (String, SystemTime) {
        let mut ledger = self.ledger();
        ledger.stats.tokens_issued += 1;
        let n = ledger.stats.tokens_issued;
        *ledger.per_installation.entry(installation).or_default() += 1;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let digest = Sha256::digest(format!("{installation}:{n}:{nanos}").as_bytes());
        let token = format!("{INSTALLATION_TOKEN_PREFIX}{}", &hex::encode(digest)[..36]);
        ledger.tokens.insert(
            token.clone(),
            Issued {
                installation,
                expires_at: Instant::now() + self.token_lifetime,
            },
        );
        (token, SystemTime::now() + self.token_lifetime)
    }
}

/// The answer to an App-flow route, or None for any other route.
pub(super) fn answer(
    st: &AppState,
    route: &Route,
    method: &Method,
    headers: &HeaderMap,
) -> Option<Response> {
    let wanted = match (route, method) {
        (Route::AppInstallations, &Method::GET) => None,
        (Route::AppAccessToken(id), &Method::POST) => Some(*id),
        (Route::AppInstallations | Route::AppAccessToken(_), _) => {
            return Some(refusal(st, StatusCode::NOT_FOUND, "Not Found"))
        }
        _ => return None,
    };
    let apps = &st.apps;
    let app = match apps.verify_jwt(headers) {
        Ok(app) => app,
        Err(message) => {
            apps.ledger().stats.jwt_refusals += 1;
            st.stats.reject("bad_app_jwt");
            return Some(refusal(st, StatusCode::UNAUTHORIZED, message));
        }
    };
    let installation = installation_id(app);
    Some(match wanted {
        None => finish_json(
            st,
            Reply::Json(StatusCode::OK, json!([installation_json(app)])),
            HeaderMap::new(),
        ),
        Some(id) if id != installation => refusal(st, StatusCode::NOT_FOUND, "Not Found"),
        Some(id) => {
            let (token, expires) = apps.issue(id);
            let expires_at = chrono::DateTime::<chrono::Utc>::from(expires)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            finish_json(
                st,
                Reply::Json(
                    StatusCode::CREATED,
                    json!({
                        "token": token,
                        "expires_at": expires_at,
                        "permissions": {"contents": "read", "metadata": "read"},
                        "repository_selection": "all",
                    }),
                ),
                HeaderMap::new(),
            )
        }
    })
}

fn refusal(st: &AppState, status: StatusCode, message: &str) -> Response {
    finish_json(st, error_json(status, message), HeaderMap::new())
}

fn installation_json(app: u64) -> Value {
    let id = installation_id(app);
    json!({
        "id": id,
        "app_id": app,
        "app_slug": format!("sim-app-{app}"),
        "target_id": 1,
        "target_type": "Organization",
        "account": {"login": "sim-org", "id": 1, "type": "Organization"},
        "repository_selection": "all",
        "access_tokens_url": format!("/app/installations/{id}/access_tokens"),
        "repositories_url": "/installation/repositories",
        "html_url": format!("https://github.com/organizations/sim-org/settings/installations/{id}"),
        "permissions": {"contents": "read", "metadata": "read"},
        "events": [],
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "single_file_name": null,
    })
}
