//! The arguments of `lgsp admin` and its subcommands.

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `lgsp admin`.
#[derive(Debug, clap::Args)]
pub struct AdminArgs {
    /// Where the platform database is.
    #[command(flatten)]
    pub place: super::super::DatabaseArgs,
    /// Print JSON (the admin API's documents) instead of tables.
    #[arg(long, global = true)]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: AdminCommand,
}

/// `lgsp admin` subcommands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create the first administrator account (refused once one exists; an
    /// admin creates the others with POST /v1/admin/admins).
    Init {
        /// Username: 3 to 64 characters among a-z, 0-9, '.', '_', '-'.
        #[arg(long)]
        username: String,
        /// Read the password from the first line of standard input instead of
        /// prompting twice without echo.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Agencies (QĐ 20/2020 codes) and their history.
    #[command(subcommand)]
    Agency(AgencyCommand),
    /// Applications: the systems an agency connects.
    #[command(subcommand)]
    App(AppCommand),
    /// Access keys of applications.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Which agency provides (and approves grants on) each schema.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Grants between agencies.
    #[command(subcommand)]
    Grant(GrantCommand),
    /// Print the secret the platform signs a connector's upstream requests
    /// with (x-lgsp-signature), for the provider to configure on its side.
    UpstreamSecret {
        /// The connector's name (its schema).
        connector: String,
    },
    /// Write (or update) a credentials profile for `lgsp query` and other
    /// clients; the file is readable by its owner only.
    Credentials(CredentialsArgs),
}

/// `lgsp admin agency` subcommands.
#[derive(Debug, Subcommand)]
pub enum AgencyCommand {
    /// Register an agency.
    Create {
        /// Its QĐ 20/2020 code, e.g. 000.00.00.H49.
        code: String,
        /// Its name.
        #[arg(long)]
        name: String,
        /// The code of the agency it reports to.
        #[arg(long)]
        parent: Option<String>,
    },
    /// List every agency, dissolved ones included.
    List,
    /// Show an agency and its history.
    Show {
        /// Agency code.
        code: String,
    },
    /// Rename an agency from a date.
    Rename {
        /// Agency code.
        code: String,
        /// The new name.
        #[arg(long)]
        name: String,
        /// The date the new name takes effect (YYYY-MM-DD) [default: today].
        #[arg(long, value_parser = day)]
        effective: Option<NaiveDate>,
    },
    /// Merge agencies into another, which keeps its code; the merged codes
    /// are retired.
    Merge {
        /// The agencies merged (dissolved).
        #[arg(required = true)]
        from: Vec<String>,
        /// The agency that absorbs them.
        #[arg(long)]
        into: String,
        /// The date the merge takes effect (YYYY-MM-DD) [default: today].
        #[arg(long, value_parser = day)]
        effective: Option<NaiveDate>,
    },
    /// Split an agency among registered agencies; its code is retired.
    Split {
        /// The agency split (dissolved).
        code: String,
        /// The agencies it is split into (at least two; register new ones first).
        #[arg(long, required = true, num_args = 1..)]
        into: Vec<String>,
        /// The date the split takes effect (YYYY-MM-DD) [default: today].
        #[arg(long, value_parser = day)]
        effective: Option<NaiveDate>,
    },
    /// Suspend an agency: its applications' keys stop working.
    Suspend {
        /// Agency code.
        code: String,
    },
    /// Reactivate a suspended agency.
    Activate {
        /// Agency code.
        code: String,
    },
}

/// `lgsp admin app` subcommands.
#[derive(Debug, Subcommand)]
pub enum AppCommand {
    /// Register an application for an active agency.
    Create {
        /// The owning agency's code.
        #[arg(long)]
        agency: String,
        /// A name people recognize.
        #[arg(long)]
        name: String,
        /// Rate limits: standard (1000/min), extended (2000/min), high
        /// (5000/min), or N/min[,M/day].
        #[arg(long, value_parser = tier, default_value = "standard")]
        tier: TierArg,
        /// Accept HMAC-SHA1 signatures from it (older systems only).
        #[arg(long)]
        legacy_sha1: bool,
    },
    /// List applications.
    List {
        /// Only this agency's.
        #[arg(long)]
        agency: Option<String>,
    },
    /// Show an application and its keys.
    Show {
        /// Application id.
        id: String,
    },
    /// Suspend an application: its keys stop working; keys and grants are kept.
    Suspend {
        /// Application id.
        id: String,
    },
    /// Reactivate a suspended application.
    Activate {
        /// Application id.
        id: String,
    },
    /// Change an application's rate limits.
    SetTier {
        /// Application id.
        id: String,
        /// standard, extended, high, or N/min[,M/day].
        #[arg(value_parser = tier)]
        tier: TierArg,
    },
    /// Allow or refuse HMAC-SHA1 signatures from an application.
    SetLegacy {
        /// Application id.
        id: String,
        /// on or off.
        #[arg(value_enum)]
        legacy_sha1: Switch,
    },
}

/// A tier on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TierArg(pub lgsp_access::Tier);

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    /// Allowed.
    On,
    /// Refused.
    Off,
}

/// `lgsp admin key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key for an application. An HMAC secret is printed once: store
    /// it at once (the platform cannot show it again).
    Create {
        /// Application id.
        app: String,
        /// Register this RSA public key (SPKI PEM file) instead of generating
        /// an HMAC secret.
        #[arg(long, value_name = "FILE")]
        rsa_public_key: Option<PathBuf>,
        /// When the key stops working: YYYY-MM-DD (at the end of that day,
        /// Vietnam time) or an RFC 3339 time [default: never].
        #[arg(long, value_parser = expiry, value_name = "DATE")]
        expires: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// List an application's keys (never their secrets).
    List {
        /// Application id.
        app: String,
    },
    /// Replace a key; the old one keeps working for the grace period.
    Rotate {
        /// The access key to replace.
        access_key: String,
        /// How long the old key keeps working, e.g. 1d, 12h, 0s.
        #[arg(long, value_parser = grace, default_value = "1d")]
        grace: Duration,
        /// Make the replacement an RSA key with this public key (SPKI PEM
        /// file) [default: an HMAC key with a new secret].
        #[arg(long, value_name = "FILE")]
        rsa_public_key: Option<PathBuf>,
    },
    /// Revoke a key: the next request signed with it is refused.
    Revoke {
        /// The access key.
        access_key: String,
    },
}

/// `lgsp admin service` subcommands.
#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Name the agency that provides a schema (and approves its grants).
    Set {
        /// The schema (connector name), e.g. dan_cu.
        schema: String,
        /// The provider agency's code.
        #[arg(long)]
        agency: String,
    },
    /// List the registered services.
    List,
}

/// `lgsp admin grant` subcommands.
#[derive(Debug, Subcommand)]
pub enum GrantCommand {
    /// List grants, newest first.
    List {
        /// Only this status: requested, approved, rejected, revoked.
        #[arg(long)]
        status: Option<String>,
        /// Only grants held by this agency's applications.
        #[arg(long)]
        consumer_agency: Option<String>,
        /// Only grants on this agency's services.
        #[arg(long)]
        provider_agency: Option<String>,
        /// Only grants of this application.
        #[arg(long)]
        application: Option<String>,
    },
    /// Approve a requested grant, as the admin named by --by.
    Approve {
        /// Grant id.
        id: String,
        /// Serve only rows matching this SQL condition, e.g. "ma_tinh = '22'".
        /// The command line loads no connector, so it checks only that this is
        /// one SQL expression; whether its columns exist is not checked here.
        /// Approve through POST /v1/admin/grants/{id}/approve to have it
        /// checked against the loaded tables.
        #[arg(long, value_name = "SQL")]
        row_filter: Option<String>,
        /// Recorded as who decided [default: $USER].
        #[arg(long)]
        by: Option<String>,
    },
    /// Reject a requested grant.
    Reject {
        /// Grant id.
        id: String,
        /// Why (shown to the consumer).
        #[arg(long)]
        reason: String,
        /// Recorded as who decided [default: $USER].
        #[arg(long)]
        by: Option<String>,
    },
    /// Revoke an approved or requested grant.
    Revoke {
        /// Grant id.
        id: String,
        /// Why (shown to both agencies).
        #[arg(long)]
        reason: String,
        /// Recorded as who revoked [default: $USER].
        #[arg(long)]
        by: Option<String>,
    },
}

/// Arguments of `lgsp admin credentials`.
#[derive(Args)]
#[command(group = clap::ArgGroup::new("key").required(true).args(["secret_key", "rsa_private_key_file"]))]
pub struct CredentialsArgs {
    /// The access key.
    #[arg(long)]
    pub access_key: String,
    /// The HMAC secret key (LGSP_SECRET_KEY keeps it out of the shell history).
    #[arg(
        long,
        env = "LGSP_SECRET_KEY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    pub secret_key: Option<String>,
    /// Sign with the RSA private key in this PKCS#8 PEM file instead.
    #[arg(long, value_name = "FILE")]
    pub rsa_private_key_file: Option<PathBuf>,
    /// LGSP-HMAC-SHA256, LGSP-HMAC-SHA1 (legacy applications) or LGSP-RSA-SHA256.
    #[arg(long)]
    pub algorithm: Option<String>,
    /// Base URL of the platform.
    #[arg(long, default_value = crate::cli::credentials::DEFAULT_SERVER)]
    pub server: String,
    /// Default purpose (x-purpose) of the profile's requests.
    #[arg(long)]
    pub purpose: Option<String>,
    /// Default session destination (schema or schema.table); repeat for several.
    #[arg(long = "destination", value_name = "D")]
    pub destinations: Vec<String>,
    /// Profile name.
    #[arg(long, default_value = "default")]
    pub profile: String,
    /// The credentials file [default: $LGSP_CREDENTIALS or
    /// ~/.config/lgsp/credentials.toml].
    #[arg(long)]
    pub file: Option<PathBuf>,
}

// The secret key never reaches a log line.
impl std::fmt::Debug for CredentialsArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsArgs")
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "…"))
            .field("rsa_private_key_file", &self.rsa_private_key_file)
            .field("algorithm", &self.algorithm)
            .field("server", &self.server)
            .field("purpose", &self.purpose)
            .field("destinations", &self.destinations)
            .field("profile", &self.profile)
            .field("file", &self.file)
            .finish()
    }
}

/// Reads a `YYYY-MM-DD` argument.
pub(super) fn day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| format!("expected a date written YYYY-MM-DD, e.g. 2025-07-01; got {s:?}"))
}

/// Reads a tier: a preset name or `N/min[,M/day]`.
pub(super) fn tier(s: &str) -> Result<TierArg, String> {
    const HELP: &str = "use standard (1000/min), extended (2000/min), high (5000/min), or \
                        N/min with an optional daily cap, e.g. 300/min,100000/day";
    let s = s.trim();
    if let Some(preset) = crate::api::TierPreset::from_name(s) {
        return Ok(TierArg(preset.tier()));
    }
    let (minute, day) = match s.split_once(',') {
        Some((m, d)) => (m.trim(), Some(d.trim())),
        None => (s, None),
    };
    let per_minute = minute
        .strip_suffix("/min")
        .and_then(|n| n.trim().parse::<u32>().ok())
        .ok_or_else(|| format!("tier {s:?}: {HELP}"))?;
    let per_day = day
        .map(|d| {
            d.strip_suffix("/day")
                .and_then(|n| n.trim().parse::<u64>().ok())
                .ok_or_else(|| format!("tier {s:?}: {HELP}"))
        })
        .transpose()?;
    Ok(TierArg(lgsp_access::Tier {
        per_minute,
        per_day,
    }))
}

/// Reads a grace period such as `1d` or `12h`.
pub(super) fn grace(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("grace {s:?}: {e}; write it like 1d, 12h or 30m"))
}

/// Reads a key expiry: `YYYY-MM-DD` means the end of that day in Vietnam
/// (UTC+7), so the key works all that day; anything else must be RFC 3339.
pub(super) fn expiry(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    let s = s.trim();
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return date
            .succ_opt()
            .and_then(|next| next.and_hms_opt(0, 0, 0))
            .map(|midnight| midnight.and_utc() - chrono::Duration::hours(7))
            .ok_or_else(|| format!("the date {s} is out of range"));
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| {
            format!("expected YYYY-MM-DD or an RFC 3339 time like 2026-12-31T17:00:00Z; got {s:?}")
        })
}
