//! The `lgsp` command line: `serve`, `demo`, `query`, `connector`,
//! `catalog`, `admin`, `audit`, `report`.

mod admin;
mod audit;
mod catalog;
mod client;
mod connector;
mod credentials;
mod demo;
mod query;

pub use admin::{
    AdminArgs, AdminCommand, AgencyCommand, AppCommand, CredentialsArgs, GrantCommand, KeyCommand,
    ServiceCommand, Switch, TierArg,
};
pub use audit::{AuditArgs, AuditCommand, ExportArg, ReportArg, ReportArgs, ReportFormat, RoleArg};
pub use catalog::{CatalogArgs, CatalogCommand, CrosswalkInput, InputFormat, Level, OutputFile};
pub use client::ProfileArgs;
pub use connector::{ConnectorArgs, ConnectorCommand, SigningArgs};
pub use demo::DemoArgs;
pub use query::{OutputFormat, QueryArgs};

use crate::config::Config;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// Where the platform database is: the flags `lgsp catalog` and `lgsp admin`
/// share with `lgsp serve`.
#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Configuration file (TOML); its `data_dir`, `database` and
    /// `master_key_file` are used.
    #[arg(long, short, env = "LGSP_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// The platform database (SQLite file) [default: <data_dir>/lgsp.db].
    #[arg(long, env = "LGSP_DATABASE", global = true)]
    pub database: Option<PathBuf>,
    /// Directory for the platform's own data [default: .lgsp-data].
    #[arg(long, env = "LGSP_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// The platform's master key file, the one `lgsp serve` uses: HMAC
    /// secrets are sealed with it and the audit signing key derives from it
    /// [default: <data_dir>/master.key].
    #[arg(long, env = "LGSP_MASTER_KEY_FILE", global = true)]
    pub master_key_file: Option<PathBuf>,
}

impl DatabaseArgs {
    /// The configuration file (if any) with these flags and `over` on top.
    ///
    /// # Errors
    /// When the file cannot be read or parsed.
    pub(crate) fn config(&self, over: Config) -> anyhow::Result<Config> {
        let file = match &self.config {
            Some(path) => Config::from_file(path)?,
            None => Config::default(),
        };
        Ok(file.overlay(Config {
            database: self.database.clone(),
            data_dir: self.data_dir.clone(),
            master_key_file: self.master_key_file.clone(),
            ..over
        }))
    }
}

/// LGSP — the provincial data integration and sharing platform.
#[derive(Debug, Parser)]
#[command(name = "lgsp", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the platform with the connectors in the connectors directory.
    Serve {
        /// Configuration file (TOML); flags and LGSP_* variables override it.
        #[arg(long, short, env = "LGSP_CONFIG")]
        config: Option<PathBuf>,
        /// Settings.
        #[command(flatten)]
        settings: Config,
    },
    /// Start a self-contained demo: a simulated population database, its
    /// connector and the platform, on localhost.
    Demo(DemoArgs),
    /// Run SQL against a running platform and print the result.
    Query(QueryArgs),
    /// Publish, sign, list, retire and roll back connectors on a running
    /// platform (provider agencies); read notices (consumers).
    Connector(ConnectorArgs),
    /// Print the OpenAPI document of the HTTP API (JSON).
    Openapi,
    /// Manage the shared catalogs in the platform database: list, create,
    /// import, publish, crosswalk, diff, export, look up.
    Catalog(CatalogArgs),
    /// Manage the registry in the platform database: the first admin,
    /// agencies, applications, keys, services, grants; write credentials
    /// profiles.
    Admin(AdminArgs),
    /// The audit log: verify the chain and checkpoints, export entries,
    /// print the platform's public key, seal now.
    Audit(AuditArgs),
    /// Usage, reconciliation and connection reports from the audit log.
    Report(ReportArgs),
}

impl Cli {
    /// Whether this command prints results that logs would clutter.
    pub fn is_client(&self) -> bool {
        matches!(
            self.command,
            Command::Query(_)
                | Command::Connector(_)
                | Command::Openapi
                | Command::Catalog(_)
                | Command::Admin(_)
                | Command::Audit(_)
                | Command::Report(_)
        )
    }
}

/// Runs a parsed command line.
///
/// # Errors
/// Whatever stopped the command, for `main` to print.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config, settings } => {
            let file = match config {
                Some(path) => Config::from_file(&path)?,
                None => Config::default(),
            };
            let config = file.overlay(settings);
            let sources = crate::server::sources_from_dir(&config)?;
            if sources.is_empty() {
                tracing::warn!(dir = %config.connectors_dir().display(), "no connector manifests found");
            }
            let server = crate::server::start(&config, sources).await?;
            server.wait_for_signal().await;
            Ok(())
        }
        Command::Demo(args) => demo::run(args).await,
        Command::Query(args) => query::run(args).await,
        Command::Connector(args) => connector::run(args).await,
        Command::Catalog(args) => catalog::run(args).await,
        Command::Admin(args) => admin::run(args).await,
        Command::Audit(args) => audit::run(args).await,
        Command::Report(args) => audit::report(args).await,
        Command::Openapi => {
            use utoipa::OpenApi;
            println!("{}", crate::api::ApiDoc::openapi().to_pretty_json()?);
            Ok(())
        }
    }
}
