//! cargo run -p mcp-survey-classify --example eval -- CORPUS_DIR LABELS.jsonl [--json OUT]
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        eprintln!("usage: eval CORPUS_DIR LABELS.jsonl [--json OUT]");
        return ExitCode::from(2);
    }
    let json_out = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    let report = match mcp_survey_classify::eval::evaluate(
        &PathBuf::from(&args[0]),
        &PathBuf::from(&args[1]),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eval failed: {e}");
            return ExitCode::FAILURE;
        }
    };
    for m in &report.missing {
        eprintln!("missing from corpus: {m}");
    }
    print!("{}", report.render_table());
    println!(
        "\nload {:.2?}, classify {:.2?} for {} repos, {:.1} MB",
        report.load_time,
        report.classify_time,
        report.repos,
        report.bytes as f64 / 1e6
    );
    if let Some(out) = json_out {
        let text = match serde_json::to_string_pretty(&report.to_json()) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("cannot serialise report: {e}");
                return ExitCode::FAILURE;
            }
        };
        if let Err(e) = std::fs::write(&out, text) {
            eprintln!("cannot write {}: {e}", out.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
