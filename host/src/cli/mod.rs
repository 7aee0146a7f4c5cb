//! The `lgsp` command line: `serve`, `demo`, `query`, `catalog`.

mod catalog;
mod demo;
mod query;

pub use catalog::{CatalogArgs, CatalogCommand, CrosswalkInput, InputFormat, Level, OutputFile};
pub use demo::DemoArgs;
pub use query::{OutputFormat, QueryArgs};

use crate::config::Config;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

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
    /// Print the OpenAPI document of the HTTP API (JSON).
    Openapi,
    /// Manage the shared catalogs in the platform database: list, create,
    /// import, publish, crosswalk, diff, export, look up.
    Catalog(CatalogArgs),
}

impl Cli {
    /// Whether this command prints results that logs would clutter.
    pub fn is_client(&self) -> bool {
        matches!(
            self.command,
            Command::Query(_) | Command::Openapi | Command::Catalog(_)
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
        Command::Catalog(args) => catalog::run(args).await,
        Command::Openapi => {
            use utoipa::OpenApi;
            println!("{}", crate::api::ApiDoc::openapi().to_pretty_json()?);
            Ok(())
        }
    }
}
