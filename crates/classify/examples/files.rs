//! cargo run -p mcp-survey-classify --example files -- PATH: lists what load_dir keeps.
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: files PATH");
        return;
    };
    match mcp_survey_classify::load_dir(std::path::Path::new(&path)) {
        Ok(files) => {
            for f in &files.files {
                println!("{:>8} {}", f.text.len(), f.path);
            }
        }
        Err(e) => eprintln!("{e}"),
    }
}
