//! Everything a report says about one run, loaded from the store in one
//! value (`summary.json`) that the Markdown, CSV and chart writers read.

use crate::aggregate::{breakdowns, Breakdowns};
use crate::corrected::{correct, Accuracy, AccuracyChoice, Correction, LoadError};
use crate::headline::{funnel, headline, Funnel, Headline, PUBLISHED};
use crate::methods::{methods, Methods};
use mcp_survey_store::{Run, RunStatus, Store, StoreError};
use serde::Serialize;

/// Everything `summary.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run: String,
    pub status: String,
    /// True while the run has not finished: the figures cover what is done.
    pub partial: bool,
    pub classifier_version: Option<String>,
    pub seed_file_sha256: Option<String>,
    pub github_url: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub finished_at: Option<chrono::DateTime<chrono::Utc>>,
    pub headline: Headline,
    pub funnel: Funnel,
    pub published: crate::headline::PublishedFigures,
    pub breakdowns: Breakdowns,
    /// Search pages GitHub answered incomplete or short, and what stayed so.
    pub search: mcp_survey_store::SearchCompleteness,
    /// False when the run did not talk to public GitHub (the bundled
    /// simulator's synthetic corpus, or another server): the report then
    /// says so on top and links nothing to github.com.
    pub public_github: bool,
    /// The headline figures raw and corrected for the classifier's errors,
    /// and where the accuracy came from.
    pub correction: Correction,
    /// What the methods section needs beyond the rest.
    pub methods: Methods,
    /// Search and the registries: overlap, misses, agreement on secrets.
    pub sources: crate::sources::Sources,
}

/// The summary with the run's stored audit (if any) as the accuracy.
pub async fn build_summary(store: &Store, run: &Run) -> Result<Summary, StoreError> {
    let accuracy = Accuracy::load(store, run, &AccuracyChoice::StoredAudit)
        .await
        .map_err(|e| match e {
            LoadError::Store(e) => e,
            // A stored audit never reads a file.
            LoadError::Accuracy(e) => StoreError::Corrupt(e.to_string()),
        })?;
    summary_with(store, run, &accuracy).await
}

/// The summary corrected with `accuracy`.
pub async fn summary_with(
    store: &Store,
    run: &Run,
    accuracy: &Accuracy,
) -> Result<Summary, StoreError> {
    let headline = headline(store, run.id).await?;
    let correction = correct(&headline, accuracy);
    Ok(Summary {
        run: run.name.clone(),
        status: format!("{:?}", run.status).to_lowercase(),
        partial: run.status != RunStatus::Finished,
        classifier_version: run.classifier_version.clone(),
        seed_file_sha256: run.seed_file_hash.clone(),
        github_url: run.github_url.clone(),
        started_at: run.started_at,
        finished_at: run.finished_at,
        headline,
        funnel: funnel(store, run.id).await?,
        published: PUBLISHED,
        breakdowns: breakdowns(store, run.id).await?,
        search: store.search_completeness(run.id).await?,
        public_github: crate::audit::is_public_github(&run.github_url),
        correction,
        methods: methods(store, run.id).await?,
        sources: crate::sources::load(store, run.id).await?,
    })
}
