//! `lgsp connector`: what a provider agency does with its connectors on a
//! running platform — sign a component, publish it, list versions, schedule
//! a retirement, roll back — and what a consumer reads (notices). Requests
//! are signed with a credentials profile, as `lgsp query` signs; components
//! are signed with the agency's RSA key (docs/connector-guide.md §7).

use super::client::{Client, ProfileArgs};
use anyhow::Context;
use base64::Engine as _;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// Arguments of `lgsp connector`.
#[derive(Debug, clap::Args)]
pub struct ConnectorArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ConnectorCommand,
}

/// The component-signing key: an RSA private key registered (as its public
/// key) to an application of the publishing agency.
#[derive(Debug, Clone, clap::Args)]
pub struct SigningArgs {
    /// PKCS#8 PEM file of the RSA private key that signs the component
    /// [default: the profile's `rsa_private_key_file`].
    #[arg(long)]
    pub signing_key: Option<PathBuf>,
    /// Access key under which that RSA key is registered [default: the
    /// profile's `access_key`, when the profile signs with RSA].
    #[arg(long)]
    pub signing_key_id: Option<String>,
}

/// `lgsp connector` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ConnectorCommand {
    /// Publish a connector version: upload the component with its manifest
    /// and a detached signature over its SHA-256, name and version. Prints
    /// the version as the platform recorded it, or every reason it refused.
    Publish {
        /// The manifest (TOML): name, version, [upstream], [limits],
        /// [monitor]; no [config] (set that with the API once published).
        #[arg(long)]
        manifest: PathBuf,
        /// The `.wasm` component.
        #[arg(long)]
        component: PathBuf,
        /// The key that signs the component.
        #[command(flatten)]
        signing: SigningArgs,
        /// Who signs the request, against which platform.
        #[command(flatten)]
        signer: ProfileArgs,
    },
    /// Sign a component without publishing it (for a signing machine kept
    /// apart): prints the detached signature as JSON, the `signature` field
    /// of `POST /v1/connectors`.
    Sign {
        /// The manifest (TOML) giving the name and version signed for.
        #[arg(long)]
        manifest: PathBuf,
        /// The `.wasm` component.
        #[arg(long)]
        component: PathBuf,
        /// PKCS#8 PEM file of the RSA private key.
        #[arg(long)]
        signing_key: PathBuf,
        /// Access key under which that RSA key is registered.
        #[arg(long)]
        signing_key_id: String,
    },
    /// List every published version, whether it serves, its SHA-256,
    /// signer and retirement date.
    List {
        /// Who signs the request, against which platform.
        #[command(flatten)]
        signer: ProfileArgs,
    },
    /// Schedule a version's retirement: at least 60 days ahead, and an old
    /// major at least 180 days after its successor.
    Retire {
        /// Connector name.
        name: String,
        /// Version, e.g. 1.0.0.
        version: String,
        /// The first day it no longer serves (YYYY-MM-DD, Vietnam time).
        #[arg(long)]
        on: chrono::NaiveDate,
        /// Why, for the consumers.
        #[arg(long)]
        reason: String,
        /// Who signs the request, against which platform.
        #[command(flatten)]
        signer: ProfileArgs,
    },
    /// Roll a connector back: the serving version of a major is taken back
    /// and the one before it serves again.
    Rollback {
        /// Connector name.
        name: String,
        /// The major to roll back [default: the highest].
        #[arg(long)]
        major: Option<u64>,
        /// Who signs the request, against which platform.
        #[command(flatten)]
        signer: ProfileArgs,
    },
    /// The notices to your agency: new versions, re-approvals needed,
    /// retirements.
    Notices {
        /// Who signs the request, against which platform.
        #[command(flatten)]
        signer: ProfileArgs,
    },
}

/// Runs `lgsp connector`.
///
/// # Errors
/// When a file cannot be read, the platform cannot be reached, or it
/// refuses (with every reason it gives).
pub(super) async fn run(args: ConnectorArgs) -> anyhow::Result<()> {
    match args.command {
        ConnectorCommand::Publish {
            manifest,
            component,
            signing,
            signer,
        } => {
            let client = Client::from_args(&signer)?;
            let (key_file, key_id) = signing_key_of(&signing, &client)?;
            let upload = Upload::read(&manifest, &component)?;
            let signature = upload.sign(&key_file, &key_id)?;
            let body = json!({
                "manifest": upload.manifest,
                "component": base64::engine::general_purpose::STANDARD.encode(&upload.wasm),
                "signature": signature,
            });
            let v = client
                .json("POST", "/v1/connectors", Some(&body))
                .await
                .with_context(|| format!("publishing {} {}", upload.name, upload.version))?;
            println!(
                "published {} {} ({} bytes, sha256 {}, signed with {})",
                text(&v["name"]),
                text(&v["version"]),
                v["size_bytes"],
                text(&v["sha256"]),
                text(&v["signer_key"])
            );
            if v["serving"] == true {
                println!(
                    "serving now as \"{}\"; {} serves the newest major",
                    text(&v["pinned_schema"]),
                    text(&v["name"])
                );
            }
            Ok(())
        }
        ConnectorCommand::Sign {
            manifest,
            component,
            signing_key,
            signing_key_id,
        } => {
            let upload = Upload::read(&manifest, &component)?;
            let signature = upload.sign(&signing_key, &signing_key_id)?;
            println!("{}", serde_json::to_string_pretty(&signature)?);
            Ok(())
        }
        ConnectorCommand::List { signer } => {
            let v = Client::from_args(&signer)?
                .json("GET", "/v1/connectors", None)
                .await?;
            print_versions(&v);
            Ok(())
        }
        ConnectorCommand::Retire {
            name,
            version,
            on,
            reason,
            signer,
        } => {
            let path = format!(
                "/v1/connectors/{}/versions/{}/retire",
                segment("name", &name)?,
                segment("version", &version)?
            );
            let v = Client::from_args(&signer)?
                .json(
                    "POST",
                    &path,
                    Some(&json!({ "on": on.to_string(), "reason": reason })),
                )
                .await?;
            println!(
                "{} {} stops serving on {}",
                text(&v["name"]),
                text(&v["version"]),
                text(&v["retire_on"])
            );
            Ok(())
        }
        ConnectorCommand::Rollback {
            name,
            major,
            signer,
        } => {
            let path = format!("/v1/connectors/{}/rollback", segment("name", &name)?);
            let v = Client::from_args(&signer)?
                .json("POST", &path, Some(&json!({ "major": major })))
                .await?;
            println!(
                "{}: {} taken back, {} serves again",
                name,
                text(&v["from"]["version"]),
                text(&v["to"]["version"])
            );
            Ok(())
        }
        ConnectorCommand::Notices { signer } => {
            let v = Client::from_args(&signer)?
                .json("GET", "/v1/notices", None)
                .await?;
            let notices = v["notices"].as_array().map_or(&[][..], Vec::as_slice);
            if notices.is_empty() {
                println!("no notices");
                return Ok(());
            }
            println!(
                "{:<25} {:<22} {:<20} {:<10} {:<11} message",
                "time", "kind", "connector", "version", "effective"
            );
            for n in notices {
                println!(
                    "{:<25} {:<22} {:<20} {:<10} {:<11} {}",
                    text(&n["created_at"]),
                    text(&n["kind"]),
                    text(&n["connector"]),
                    text(&n["version"]),
                    text(&n["effective"]),
                    text(&n["message"])
                );
            }
            Ok(())
        }
    }
}

/// `name` as one path segment: connector names and versions are plain
/// (`[A-Za-z0-9._@+-]`), and anything else would be changed on the way (and
/// break the request's signature) rather than reach the platform as typed.
fn segment<'a>(what: &str, name: &'a str) -> anyhow::Result<&'a str> {
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '+' | '-');
    if name.is_empty() || name == "." || name == ".." || !name.chars().all(plain) {
        anyhow::bail!("{what} {name:?} is not a connector {what} (letters, digits, . _ @ + -)");
    }
    Ok(name)
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("-")
}

/// The key file and key id: the flags, else the profile's own RSA key.
fn signing_key_of(signing: &SigningArgs, client: &Client) -> anyhow::Result<(PathBuf, String)> {
    let profile = client.profile();
    let file = signing
        .signing_key
        .clone()
        .or_else(|| profile.rsa_private_key_file.clone())
        .context(
            "no key to sign the component with: give --signing-key (an RSA private key registered to your agency) and --signing-key-id, or use a profile that signs with RSA",
        )?;
    let id = match (&signing.signing_key_id, &signing.signing_key) {
        (Some(id), _) => id.clone(),
        (None, None) => profile.access_key.clone(),
        (None, Some(_)) => anyhow::bail!(
            "--signing-key-id is needed with --signing-key: the access key under which that RSA key is registered"
        ),
    };
    Ok((file, id))
}

/// A component with the name and version its manifest gives.
struct Upload {
    manifest: String,
    wasm: Vec<u8>,
    name: String,
    version: String,
}

impl Upload {
    fn read(manifest: &Path, component: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(manifest)
            .with_context(|| format!("reading the manifest {}", manifest.display()))?;
        let table: toml::Table = toml::from_str(&text)
            .with_context(|| format!("the manifest {} is not TOML", manifest.display()))?;
        let field = |name: &str| {
            table
                .get(name)
                .and_then(toml::Value::as_str)
                .map(str::to_owned)
                .with_context(|| {
                    format!(
                        "the manifest {} gives no {name} (name = \"...\", version = \"1.0.0\")",
                        manifest.display()
                    )
                })
        };
        let (name, version) = (field("name")?, field("version")?);
        let wasm = std::fs::read(component)
            .with_context(|| format!("reading the component {}", component.display()))?;
        Ok(Self {
            manifest: text,
            wasm,
            name,
            version,
        })
    }

    /// The detached signature: RSA-SHA256 over the name, version and the
    /// component's SHA-256.
    fn sign(&self, key_file: &Path, key_id: &str) -> anyhow::Result<Value> {
        let pem = std::fs::read_to_string(key_file)
            .with_context(|| format!("reading the signing key {}", key_file.display()))?;
        let key = lgsp_auth::SigningKey::rsa_from_pem(&pem)
            .map_err(|e| anyhow::anyhow!("the signing key {}: {e}", key_file.display()))?;
        let digest = crate::runtime::sha256_hex(&self.wasm);
        let value = lgsp_auth::sign_connector(&key, &self.name, &self.version, &digest)
            .map_err(|e| anyhow::anyhow!("signing the component: {e}"))?;
        Ok(json!({ "key": key_id, "value": value }))
    }
}

fn print_versions(v: &Value) {
    let versions = v["versions"].as_array().map_or(&[][..], Vec::as_slice);
    if versions.is_empty() {
        println!("no published connectors");
    } else {
        println!(
            "{:<20} {:<10} {:<12} {:<8} {:<12}  {:<16}  retirement",
            "name", "version", "status", "serving", "sha256", "provider"
        );
    }
    for row in versions {
        let retire = match row["retire_on"].as_str() {
            Some(day) => format!("retires {day}"),
            None => String::new(),
        };
        println!(
            "{:<20} {:<10} {:<12} {:<8} {:<12}  {:<16}  {}",
            text(&row["name"]),
            text(&row["version"]),
            text(&row["status"]),
            if row["serving"] == true {
                "serving"
            } else {
                "-"
            },
            &text(&row["sha256"]).chars().take(12).collect::<String>(),
            text(&row["provider"]),
            retire
        );
    }
    for name in v["suspended"].as_array().into_iter().flatten() {
        println!("{} is suspended by the administrator", text(name));
    }
}
