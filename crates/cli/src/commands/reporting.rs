//! `report` (one run, or `--compare A B`) and `export`: argument handling
//! only; the work is in the mcp-survey-report crate.

use super::open_reader;
use super::stages::{finish_if_complete, run_name};
use crate::{default_report_dir, Cli};
use anyhow::{bail, Context, Result};
use clap::{Args, ValueEnum};
use mcp_survey_report::ExportFormat;
use mcp_survey_store::{Run, RunStatus, Store, StoreError};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Run to report; default: the newest run (an unfinished one is reported as partial).
    #[arg(long, conflicts_with = "compare", value_parser = run_name)]
    pub run: Option<String>,
    /// Compare two runs instead: the earlier A and the later B (written under OUT/A..B/).
    #[arg(long, num_args = 2, value_names = ["A", "B"], value_parser = run_name)]
    pub compare: Option<Vec<String>>,
    /// Folder the report folder is written under.
    #[arg(long, default_value_os_t = default_report_dir())]
    pub out: PathBuf,
    /// Correct the shares with this classifier accuracy (an `eval --json` output) instead of the run's stored audit.
    #[arg(long, value_name = "FILE", conflicts_with = "compare")]
    pub accuracy: Option<PathBuf>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Csv,
    Jsonl,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Run to export; default: the newest finished run.
    #[arg(long, value_parser = run_name)]
    pub run: Option<String>,
    /// csv (lists joined with `;`) or jsonl (one JSON object per line).
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Output file; `-` for stdout. Default: reports/<run>/servers.<csv|jsonl> (labels.<csv|jsonl> with --all).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Every classified repository with its kind, not only the servers (to audit what the classifier missed).
    #[arg(long)]
    pub all: bool,
}

pub async fn report(cli: &Cli, args: &ReportArgs) -> Result<()> {
    let store = open_reader(cli.database_url()).await?;
    if let Some(names) = &args.compare {
        let [a, b] = names.as_slice() else {
            bail!("--compare takes two run names: the earlier and the later");
        };
        return compare(&store, a, b, args).await;
    }
    let mut run = store.resolve_run(args.run.as_deref()).await?;
    // Stages run one by one may have completed the run without saying so
    // (a run left by an older build): finish it before reporting it.
    if run.status == RunStatus::Running && finish_if_complete(&store, &run).await? {
        run = store.run_by_id(run.id).await?;
    }
    if run.status != RunStatus::Finished {
        eprintln!(
            "note: run {} is {}; the report covers what is done so far and is marked partial",
            run.name,
            status(&run)
        );
    }
    let choice = match &args.accuracy {
        Some(file) => mcp_survey_report::AccuracyChoice::EvalFile(file.clone()),
        None => mcp_survey_report::AccuracyChoice::StoredAudit,
    };
    let files = mcp_survey_report::write_report_with(&store, &run, &args.out, &choice).await?;
    print!("{}", mcp_survey_report::render_table(&files.summary_value));
    if files.summary_value.headline.servers == 0 {
        eprintln!(
            "note: run {} has no classified MCP servers{}; every share is 0 of 0",
            run.name,
            if run.status == RunStatus::Finished {
                ""
            } else {
                " yet"
            }
        );
    }
    println!(
        "report written to {} ({} files)",
        files.markdown.display(),
        files.written.len()
    );
    Ok(())
}

async fn compare(store: &Store, a: &str, b: &str, args: &ReportArgs) -> Result<()> {
    if a == b {
        bail!("--compare needs two different runs; `mcp-survey runs` lists them");
    }
    let run_a = store.run_by_name(a).await?;
    let run_b = store.run_by_name(b).await?;
    let started = |r: &Run| r.started_at.format("%Y-%m-%d %H:%M UTC").to_string();
    if (run_a.started_at, run_a.id) <= (run_b.started_at, run_b.id) {
        eprintln!(
            "comparing {a} (the older, started {}) with {b} (started {})",
            started(&run_a),
            started(&run_b)
        );
    } else {
        eprintln!(
            "note: {a} (started {}) is newer than {b} (started {}); the changes read from {a} to {b}, \
             backwards in time; swap them (--compare {b} {a}) to see what changed since {b}",
            started(&run_a),
            started(&run_b)
        );
    }
    for run in [&run_a, &run_b] {
        if run.status != RunStatus::Finished {
            eprintln!(
                "note: run {} is {}; the comparison uses what it has so far and is marked partial",
                run.name,
                status(run)
            );
        }
    }
    let comparison = mcp_survey_report::compare(store, &run_a, &run_b).await?;
    let files = mcp_survey_report::write_comparison(&comparison, &args.out)?;
    use mcp_survey_report::ChangeKind as K;
    println!(
        "{a} → {b}: {} repositories new, {} gone; {} servers new, {} gone, {} with changed auth",
        comparison.count(K::RepositoryNew),
        comparison.count(K::RepositoryGone),
        comparison.count(K::ServerNew),
        comparison.count(K::ServerGone),
        comparison.count(K::AuthChanged),
    );
    println!("comparison written to {}", files.markdown.display());
    Ok(())
}

pub async fn export(cli: &Cli, args: &ExportArgs) -> Result<()> {
    let store = open_reader(cli.database_url()).await?;
    let run = match &args.run {
        Some(name) => store.run_by_name(name).await?,
        None => {
            let run = latest_finished(&store).await?;
            eprintln!(
                "exporting run {}, the newest finished run (pass --run NAME for another)",
                run.name
            );
            run
        }
    };
    if run.status != RunStatus::Finished {
        eprintln!(
            "note: run {} is {}; exporting the servers classified so far",
            run.name,
            status(&run)
        );
    }
    let format = match args.format {
        Format::Csv => ExportFormat::Csv,
        Format::Jsonl => ExportFormat::Jsonl,
    };
    let rows = mcp_survey_report::export_rows_with(&store, &run, args.all).await?;
    let to_stdout = args.out.as_deref() == Some(std::path::Path::new("-"));
    if to_stdout {
        let stdout = std::io::stdout();
        let mut lock = stdout.lock();
        return match mcp_survey_report::write_export(&rows, format, &mut lock) {
            // `export --out - | head` closes the pipe early: that is not a failure.
            Err(mcp_survey_report::ReportError::Export(e))
                if e.kind() == std::io::ErrorKind::BrokenPipe =>
            {
                Ok(())
            }
            other => other.map(|_| ()).map_err(Into::into),
        };
    }
    let path = args.out.clone().unwrap_or_else(|| {
        default_report_dir()
            .join(folder_name(&run.name))
            .join(format!(
                "{}.{}",
                if args.all { "labels" } else { "servers" },
                format.extension()
            ))
    });
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create the folder {}", parent.display()))?;
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).with_context(|| {
        format!(
            "cannot create {}; check the folder is writable or pass --out",
            path.display()
        )
    })?);
    let n = mcp_survey_report::write_export(&rows, format, &mut file)?;
    eprintln!(
        "{n} {} of run {} written to {}",
        if args.all {
            "classified repositories"
        } else {
            "servers"
        },
        run.name,
        path.display()
    );
    Ok(())
}

async fn latest_finished(store: &Store) -> Result<Run> {
    match store.latest_finished_run().await {
        Ok(run) => Ok(run),
        Err(StoreError::NoRuns) => match store.latest_run().await {
            Ok(newest) => bail!(
                "no run has finished yet; the newest, {}, is {}: pass --run {} to export what it has so far",
                newest.name,
                status(&newest),
                newest.name
            ),
            Err(e) => Err(e.into()),
        },
        Err(e) => Err(e.into()),
    }
}

fn status(run: &Run) -> String {
    format!("{:?}", run.status).to_lowercase()
}

/// The report crate's folder naming, for the default export path.
fn folder_name(name: &str) -> String {
    mcp_survey_report::report_folder_name(name)
}
