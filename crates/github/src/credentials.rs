//! The credentials requests go out with, one per rate-limit bucket:
//! personal access tokens (fixed), a GitHub App's installation token
//! (renewed as it ages), or none (anonymous).

use std::sync::Arc;

use http::HeaderValue;
use octocrab::Octocrab;

use crate::app::InstallationToken;
use crate::config::ClientConfig;
use crate::error::GithubError;

enum Credential {
    Anonymous,
    Token(HeaderValue),
    Installation(Arc<InstallationToken>),
}

/// The `Authorization` header for one request, and for an installation
/// token which one it was (to discard it after a 401).
pub(crate) struct Authorization {
    pub header: Option<HeaderValue>,
    pub generation: Option<u64>,
}

/// Every credential of the client; a credential's index is its bucket in
/// the gate and the stats.
pub(crate) struct Credentials {
    slots: Vec<Credential>,
    tokens: usize,
}

impl Credentials {
    /// The tokens of `config` (marked sensitive, so no debug output of the
    /// HTTP stack shows them), then the app's installation, if any.
    pub(crate) fn new(config: &ClientConfig) -> Result<Self, GithubError> {
        let mut slots = Vec::new();
        for (i, t) in config.tokens.iter().enumerate() {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", t.expose())).map_err(|_| {
                GithubError::InvalidConfig(format!(
                    "token {} of {} holds characters not allowed in an HTTP header",
                    i + 1,
                    config.tokens.len()
                ))
            })?;
            v.set_sensitive(true);
            slots.push(Credential::Token(v));
        }
        if let Some(app) = &config.app {
            slots.push(Credential::Installation(Arc::new(InstallationToken::new(
                app.clone(),
            ))));
        }
        if slots.is_empty() {
            slots.push(Credential::Anonymous);
        }
        Ok(Credentials {
            tokens: config.tokens.len(),
            slots,
        })
    }

    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The header for credential `slot`, creating or renewing an
    /// installation token first when it is due.
    pub(crate) async fn authorization(
        &self,
        slot: usize,
        octo: &Octocrab,
        config: &ClientConfig,
    ) -> Result<Authorization, GithubError> {
        Ok(match &self.slots[slot] {
            Credential::Anonymous => Authorization {
                header: None,
                generation: None,
            },
            Credential::Token(v) => Authorization {
                header: Some(v.clone()),
                generation: None,
            },
            Credential::Installation(t) => {
                let issued = t.current(octo, config).await?;
                Authorization {
                    header: Some(issued.header),
                    generation: Some(issued.generation),
                }
            }
        })
    }

    /// Forgets an installation token GitHub refused, so the next request
    /// gets a new one. False when `slot` holds nothing renewable.
    pub(crate) async fn discard(&self, slot: usize, generation: Option<u64>) -> bool {
        match (&self.slots[slot], generation) {
            (Credential::Installation(t), Some(g)) => {
                t.discard(g).await;
                true
            }
            _ => false,
        }
    }

    /// Names credential `slot` in messages, never showing it.
    pub(crate) fn label(&self, slot: usize) -> String {
        match &self.slots[slot] {
            Credential::Anonymous => "anonymous access".to_string(),
            Credential::Installation(t) => t.label(),
            Credential::Token(_) => match self.tokens {
                1 => "the token (GITHUB_TOKEN)".to_string(),
                n => format!("token {} of {n} (GITHUB_TOKENS)", slot + 1),
            },
        }
    }
}
