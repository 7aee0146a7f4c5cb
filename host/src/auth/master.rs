//! The master key file: read it, or create it on first start. The key never
//! appears in configuration output, logs or API answers.

use lgsp_access::MasterKey;
use std::path::{Path, PathBuf};

/// The master key file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    /// It cannot be read or written.
    #[error("master key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// It does not hold a key.
    #[error(
        "master key file {path} does not hold a base64 key of 32 bytes ({message}); restore it from backup"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

/// Reads the key at `path`, creating the file (readable by its owner only)
/// with a fresh key when it does not exist.
///
/// # Errors
/// When the file cannot be read or created, or holds no valid key.
pub fn load_or_create(path: &Path) -> Result<MasterKey, MasterKeyError> {
    let io = |source| MasterKeyError::Io {
        path: path.to_owned(),
        source,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => MasterKey::from_base64(text.trim()).map_err(|e| MasterKeyError::Invalid {
            path: path.to_owned(),
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(io)?;
            }
            let key = MasterKey::generate();
            crate::private_file::create(path, &format!("{}\n", key.to_base64())).map_err(io)?;
            tracing::warn!(path = %path.display(), "created a new master key; back it up, and give every node of this platform the same file");
            Ok(key)
        }
        Err(e) => Err(io(e)),
    }
}
