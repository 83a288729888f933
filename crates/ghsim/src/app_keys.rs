//! A GitHub App key pair made the way a researcher makes one for the
//! simulator: `openssl genrsa` for the private key, `openssl rsa -pubout`
//! for the public key `sim --app ID=pub.pem` reads.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The two PEM files of an app key pair.
#[derive(Debug, Clone)]
pub struct AppKeyFiles {
    /// `key.pem`: what the client signs with (`--app-private-key`).
    pub private_key: PathBuf,
    /// `pub.pem`: what the simulator checks with (`sim --app ID=pub.pem`).
    pub public_key: PathBuf,
}

/// Writes `key.pem` and `pub.pem` into `dir` with the `openssl` command.
pub fn openssl_key_pair(dir: &Path) -> Result<AppKeyFiles, String> {
    let private_key = dir.join("key.pem");
    let public_key = dir.join("pub.pem");
    openssl(&["genrsa", "-out", &private_key.to_string_lossy(), "2048"])?;
    openssl(&[
        "rsa",
        "-in",
        &private_key.to_string_lossy(),
        "-pubout",
        "-out",
        &public_key.to_string_lossy(),
    ])?;
    Ok(AppKeyFiles {
        private_key,
        public_key,
    })
}

fn openssl(args: &[&str]) -> Result<(), String> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run openssl ({e}); install OpenSSL's command-line tool"))?;
    if !out.status.success() {
        return Err(format!(
            "openssl {} failed: {}",
            args.first().unwrap_or(&""),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}
