//! `audit draw` and `audit score`: argument handling only; the sampling,
//! the sheets and the scoring are in the mcp-survey-report crate.

use super::{open_reader, open_store};
use crate::Cli;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub what: AuditCommand,
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Draw a stratified random sample of a run's classified repositories and write a labelling sheet (sheet.csv, sheet.jsonl).
    Draw(DrawArgs),
    /// Score a filled sheet against the run's labels and store the accuracy the run's report corrects with.
    Score(ScoreArgs),
}

#[derive(Args, Debug)]
pub struct DrawArgs {
    /// Run to sample.
    #[arg(long)]
    pub run: String,
    /// Repositories to draw (every stratum gets at least 10, or all it has).
    #[arg(long, default_value_t = 200)]
    pub n: usize,
    /// Seed of the draw: the same seed on the same run draws the same sample.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folder the sheet is written to; default: reports/<run>/audit.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ScoreArgs {
    /// Run the sheet was drawn from.
    #[arg(long)]
    pub run: String,
    /// The filled sheet: sheet.jsonl, or sheet.csv (read by its extension).
    pub sheet: PathBuf,
    /// Print the score as JSON.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cli: &Cli, args: &AuditArgs) -> Result<()> {
    match &args.what {
        AuditCommand::Draw(a) => {
            // Drawing reads the run and writes files only.
            let store = open_reader(cli.database_url()).await?;
            let run = store.run_by_name(&a.run).await?;
            let out = a.out.clone().unwrap_or_else(|| {
                crate::default_report_dir()
                    .join(mcp_survey_report::report_folder_name(&run.name))
                    .join("audit")
            });
            let drawn = mcp_survey_report::audit::draw(&store, &run, a.n, a.seed, &out).await?;
            println!(
                "drew {} of the {} classified repositories of run {} (seed {}):",
                drawn.rows.len(),
                drawn.population,
                run.name,
                a.seed
            );
            for (stratum, (size, n)) in &drawn.strata {
                println!("  {stratum:<18} {n:>5} of {size:>6}");
            }
            println!(
                "label the human fields of {} (or {}), then: mcp-survey audit score --run {} {}",
                out.join("sheet.jsonl").display(),
                out.join("sheet.csv").display(),
                run.name,
                out.join("sheet.jsonl").display()
            );
            Ok(())
        }
        AuditCommand::Score(a) => {
            // Scoring stores the score, so the schema must be current.
            let store = open_store(cli.database_url()).await?;
            let run = store.run_by_name(&a.run).await?;
            let score = mcp_survey_report::audit::score(&store, &run, &a.sheet).await?;
            mcp_survey_report::audit::store_score(&store, &run, &score)
                .await
                .context("cannot store the audit score")?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&score)?);
                return Ok(());
            }
            println!(
                "scored {} of {} rows of {} (the empty rows are not scored; each stratum's repositories are spread over its labelled rows)",
                score.rows_filled,
                score.rows_total,
                a.sheet.display()
            );
            println!("{:<20} {:>9} {:>6}", "field", "accuracy", "rows");
            for (field, f) in &score.fields {
                println!("{field:<20} {:>8.1}% {:>6}", f.accuracy * 100.0, f.rows);
            }
            let pct =
                |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{:.1}%", v * 100.0));
            println!(
                "is a server: precision {}, recall {}",
                pct(score.server_precision),
                pct(score.server_recall)
            );
            for (figure, f) in &score.figures {
                println!(
                    "{figure:<20} sensitivity {}, specificity {} ({} rows)",
                    pct(f.sensitivity),
                    pct(f.specificity),
                    f.rows
                );
            }
            println!(
                "stored: `mcp-survey report --run {}` now corrects its shares with this audit",
                run.name
            );
            Ok(())
        }
    }
}
