//! cargo run -p mcp-survey-classify --example verdict -- PATH [--evidence]
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: verdict PATH [--evidence]");
        return ExitCode::from(2);
    };
    let files = match mcp_survey_classify::load_dir(&PathBuf::from(path)) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut v = mcp_survey_classify::classify(&files);
    if !args.iter().any(|a| a == "--evidence") {
        v.evidence.truncate(0);
    }
    match serde_json::to_string_pretty(&v) {
        Ok(t) => println!("{t}"),
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
