//! Credentials profiles: a TOML file of named tables, each holding what a
//! client needs to sign requests (server, access key, secret key or RSA
//! private key file, defaults for purpose and destinations). `lgsp admin
//! credentials` and `lgsp demo` write it, `lgsp query` reads it. The file is
//! written readable by its owner only (mode 0600).
//!
//! ```toml
//! [default]
//! server = "http://127.0.0.1:8080"
//! access_key = "LGSP..."
//! secret_key = "..."          # or: rsa_private_key_file = "/path/key.pem"
//! algorithm = "LGSP-HMAC-SHA256"   # optional
//! purpose = "..."             # optional default x-purpose
//! destinations = ["dan_cu"]   # optional default session destinations
//! ```

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// Server used when a profile names none.
pub(crate) const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

fn default_server() -> String {
    DEFAULT_SERVER.to_owned()
}

/// One profile: who signs, with what, against which platform.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// Base URL of the platform.
    #[serde(default = "default_server")]
    pub(crate) server: String,
    /// The access key (`Credential=`).
    pub(crate) access_key: String,
    /// The HMAC secret key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) secret_key: Option<String>,
    /// A PKCS#8 PEM file holding the RSA private key, instead of a secret key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rsa_private_key_file: Option<PathBuf>,
    /// `LGSP-HMAC-SHA256` (default for a secret key), `LGSP-HMAC-SHA1` or
    /// `LGSP-RSA-SHA256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) algorithm: Option<String>,
    /// Default `x-purpose`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) purpose: Option<String>,
    /// Default session destinations (`schema` or `schema.table`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) destinations: Vec<String>,
}

// The secret key never reaches a log line or an error message.
impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("server", &self.server)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "…"))
            .field("rsa_private_key_file", &self.rsa_private_key_file)
            .field("algorithm", &self.algorithm)
            .field("purpose", &self.purpose)
            .field("destinations", &self.destinations)
            .finish()
    }
}

/// Where profiles are kept: `$LGSP_CREDENTIALS`, else
/// `$HOME/.config/lgsp/credentials.toml`.
pub(crate) fn default_path() -> PathBuf {
    if let Some(path) = std::env::var_os("LGSP_CREDENTIALS").filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        Some(home) => PathBuf::from(home).join(".config/lgsp/credentials.toml"),
        None => PathBuf::from("credentials.toml"),
    }
}

/// Every profile of the file at `path`; none if it does not exist.
fn read_all(path: &Path) -> anyhow::Result<toml::Table> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(toml::Table::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    toml::from_str(&text).map_err(|e| {
        anyhow::anyhow!(
            "{} is not a valid credentials file: {}",
            path.display(),
            e.message()
        )
    })
}

/// The profile `name` of the file at `path`.
///
/// # Errors
/// When the file cannot be read or parsed, has no such profile (the message
/// lists those it has), or the profile is malformed.
pub(crate) fn load(path: &Path, name: &str) -> anyhow::Result<Profile> {
    if !path.exists() {
        bail!(
            "there is no credentials file {}; write one with `lgsp admin credentials`",
            path.display()
        );
    }
    let mut all = read_all(path)?;
    let Some(value) = all.remove(name) else {
        let names: Vec<&str> = all.keys().map(String::as_str).collect();
        bail!(
            "{} has no profile [{name}]; it has: {}",
            path.display(),
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        );
    };
    value.try_into().map_err(|e: toml::de::Error| {
        anyhow::anyhow!("profile [{name}] of {}: {}", path.display(), e.message())
    })
}

/// Writes profile `name` into the file at `path`, keeping its other
/// profiles, creating the file and its directory if needed. The file is
/// replaced in one step and readable by its owner only.
///
/// # Errors
/// When the existing file cannot be parsed (it is left alone) or the new one
/// cannot be written.
pub(crate) fn save(path: &Path, name: &str, p: &Profile) -> anyhow::Result<()> {
    if name.trim().is_empty() {
        bail!("the profile name is empty");
    }
    match (&p.secret_key, &p.rsa_private_key_file) {
        (Some(_), None) | (None, Some(_)) => {}
        _ => bail!("a profile needs exactly one of secret_key and rsa_private_key_file"),
    }
    let mut all = read_all(path)?;
    let table = toml::Table::try_from(p).context("encoding the profile")?;
    all.insert(name.to_owned(), toml::Value::Table(table));
    let text = toml::to_string(&all).context("encoding the credentials file")?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::private_file::create_dir(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4().simple()));
    let written =
        crate::private_file::create(&tmp, &text).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written.with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profile(access_key: &str) -> Profile {
        Profile {
            server: "http://127.0.0.1:9999".into(),
            access_key: access_key.into(),
            secret_key: Some("s3cr3t-value".into()),
            rsa_private_key_file: None,
            algorithm: None,
            purpose: Some("Giải quyết thủ tục hành chính".into()),
            destinations: vec!["dan_cu".into()],
        }
    }

    #[test]
    fn profiles_round_trip_side_by_side_in_a_private_file() {
        let dir = std::env::temp_dir().join(format!("lgsp-creds-{}", uuid::Uuid::now_v7()));
        let path = dir.join("nested/credentials.toml");
        save(&path, "default", &profile("LGSPAAAAAAAAAAAAAAAA")).expect("saved");
        save(&path, "other", &profile("LGSPBBBBBBBBBBBBBBBB")).expect("saved");
        let mut changed = profile("LGSPCCCCCCCCCCCCCCCC");
        changed.destinations.clear();
        save(&path, "default", &changed).expect("replaced");
        assert_eq!(load(&path, "default").expect("loaded"), changed);
        assert_eq!(
            load(&path, "other").expect("loaded").access_key,
            "LGSPBBBBBBBBBBBBBBBB"
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("[default]") && text.contains("[other]"),
            "{text}"
        );
        assert!(!text.contains("destinations = []"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let err = load(&path, "missing")
            .expect_err("no such profile")
            .to_string();
        assert!(err.contains("default, other"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_documented_format_parses_and_debug_hides_the_secret() {
        let dir = std::env::temp_dir().join(format!("lgsp-creds-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("credentials.toml");
        std::fs::write(
            &path,
            "[default]\nserver = \"http://127.0.0.1:8080\"\naccess_key = \"LGSPX\"\n\
             secret_key = \"very-secret\"\nalgorithm = \"LGSP-HMAC-SHA256\"\npurpose = \"p\"\n\
             destinations = [\"dan_cu\"]\n\n[rsa]\naccess_key = \"LGSPY\"\n\
             rsa_private_key_file = \"/k.pem\"\n",
        )
        .expect("write");
        let p = load(&path, "default").expect("loaded");
        assert_eq!(p.secret_key.as_deref(), Some("very-secret"));
        assert_eq!(p.destinations, vec!["dan_cu".to_owned()]);
        assert!(!format!("{p:?}").contains("very-secret"));
        let rsa = load(&path, "rsa").expect("loaded");
        assert_eq!(rsa.server, DEFAULT_SERVER);
        assert_eq!(rsa.rsa_private_key_file, Some(PathBuf::from("/k.pem")));
        std::fs::write(&path, "[default]\naccess_key = \"A\"\nsecretkey = \"x\"\n").expect("write");
        let err = load(&path, "default").expect_err("typo").to_string();
        assert!(err.contains("secretkey"), "{err}");
        std::fs::write(&path, "not toml [").expect("write");
        assert!(save(&path, "default", &profile("LGSPA")).is_err());
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "not toml [");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
