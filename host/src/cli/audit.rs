//! `lgsp audit` (verify, export, public-key, seal) and `lgsp report` (usage,
//! reconciliation, connections), working on the audit database directly.

use super::DatabaseArgs;
use crate::config::Config;
use clap::{Subcommand, ValueEnum};
use lgsp_audit::{EntryFilter, ExportFormat, PublicKey, Role};
use std::io::Write;
use std::path::PathBuf;

/// `lgsp audit`.
#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// Where the databases are.
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: AuditCommand,
}

/// `lgsp audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Recompute the hash chain and check every signed checkpoint; report the
    /// first entry that was changed, removed, inserted or reordered. Exits
    /// with status 1 when the log was tampered with.
    Verify {
        /// The platform's public key (base64, from `lgsp audit public-key`
        /// or GET /v1/audit/public-key) [default: derived from the master key].
        #[arg(long)]
        public_key: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write entries as JSON lines or CSV.
    Export {
        /// From this time (RFC 3339) or day (YYYY-MM-DD, Vietnam time).
        #[arg(long)]
        from: Option<String>,
        /// Until this time, or through this day.
        #[arg(long)]
        to: Option<String>,
        /// Only entries concerning this agency.
        #[arg(long)]
        agency: Option<String>,
        /// With --agency: only as consumer or only as provider.
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ExportArg::Jsonl)]
        format: ExportArg,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Print the platform's public key (verifies checkpoints and webhooks).
    PublicKey,
    /// Seal the head of the chain with a signed checkpoint now.
    Seal,
}

/// `--role`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Requests the agency made.
    Consumer,
    /// Requests that reached its data.
    Provider,
}

/// `--format` of exports.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ExportArg {
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

/// `lgsp report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Where the databases are.
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// Which report: usage, reconciliation or connections.
    #[arg(value_enum)]
    pub report: ReportArg,
    /// From this time (RFC 3339) or day (YYYY-MM-DD, Vietnam time)
    /// [default: 7 days before --to].
    #[arg(long)]
    pub from: Option<String>,
    /// Until this time, or through this day [default: now].
    #[arg(long)]
    pub to: Option<String>,
    /// Only this agency.
    #[arg(long)]
    pub agency: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Csv)]
    pub format: ReportFormat,
}

/// Which report.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportArg {
    /// Requests, rows, bytes, errors and latency per day, agency, role,
    /// application and service.
    Usage,
    /// Per day, consumer and provider: counts and a digest of request ids.
    Reconciliation,
    /// Sessions opened, and the requests made while each was valid.
    Connections,
}

/// `--format` of reports.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ReportFormat {
    /// A JSON array.
    Json,
    /// CSV with a header row.
    Csv,
}

/// An optional period bound.
type Bound = Option<chrono::DateTime<chrono::Utc>>;

fn period(from: Option<&str>, to: Option<&str>) -> anyhow::Result<(Bound, Bound)> {
    let parse = |name: &str, v: Option<&str>, upper: bool| {
        crate::api::period_bound(name, v, upper)
            .map_err(|e| anyhow::anyhow!("{}", e.body().message))
    };
    Ok((parse("--from", from, false)?, parse("--to", to, true)?))
}

async fn open(db: &DatabaseArgs) -> anyhow::Result<(Config, sqlx::SqlitePool)> {
    let config = db.config(Config::default())?;
    let path = config.audit_database();
    if !path.exists() {
        anyhow::bail!(
            "no audit database at {}; pass --config or --data-dir of the platform",
            path.display()
        );
    }
    Ok((config.clone(), lgsp_audit::open(&path).await?))
}

/// The platform key, from the master key file (never created here: a new
/// master key would sign nothing the platform signed).
fn platform_key(config: &Config) -> anyhow::Result<lgsp_audit::PlatformKey> {
    let path = config.master_key_file();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        anyhow::anyhow!(
            "cannot read the master key {} ({e}); pass --master-key-file, or --public-key to verify",
            path.display()
        )
    })?;
    let master = lgsp_access::MasterKey::from_base64(text.trim())?;
    Ok(crate::audit::platform_key(&master))
}

fn platform_public_key(config: &Config) -> anyhow::Result<PublicKey> {
    Ok(platform_key(config)?.public_key())
}

/// Runs `lgsp audit`.
///
/// # Errors
/// When the database cannot be read, or the log was tampered with (verify).
pub(super) async fn run(args: AuditArgs) -> anyhow::Result<()> {
    let (config, pool) = open(&args.db).await?;
    let mut stdout = std::io::stdout().lock();
    match args.command {
        AuditCommand::Verify { public_key, json } => {
            let key = match public_key {
                Some(text) => PublicKey::from_base64(&text)?,
                None => platform_public_key(&config)?,
            };
            let started = std::time::Instant::now();
            let report = lgsp_audit::verify(&pool, &key).await?;
            let secs = started.elapsed().as_secs_f64();
            if json {
                serde_json::to_writer_pretty(&mut stdout, &report)?;
                writeln!(stdout)?;
            } else {
                writeln!(
                    stdout,
                    "checked {} entries (#{}..#{}) and {} checkpoints in {:.2} s ({:.0} entries/s)",
                    report.entries,
                    report.first_seq.unwrap_or(0),
                    report.head_seq,
                    report.checkpoints,
                    secs,
                    report.entries as f64 / secs.max(1e-9)
                )?;
                match &report.problem {
                    None => writeln!(stdout, "the audit log is intact")?,
                    Some(p) => writeln!(stdout, "TAMPERED: {}", p.message)?,
                }
            }
            if !report.ok() {
                stdout.flush()?;
                std::process::exit(1);
            }
            Ok(())
        }
        AuditCommand::Export {
            from,
            to,
            agency,
            role,
            format,
            output,
        } => {
            let (from, to) = period(from.as_deref(), to.as_deref())?;
            let filter = EntryFilter {
                from,
                to,
                agency,
                role: role.map(|r| match r {
                    RoleArg::Consumer => Role::Consumer,
                    RoleArg::Provider => Role::Provider,
                }),
                ..EntryFilter::default()
            };
            let format = match format {
                ExportArg::Jsonl => ExportFormat::Jsonl,
                ExportArg::Csv => ExportFormat::Csv,
            };
            let written = match output {
                Some(path) => {
                    let file = std::fs::File::create(&path)
                        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", path.display()))?;
                    let mut w = std::io::BufWriter::new(file);
                    let n = lgsp_audit::export(&pool, &filter, format, &mut w).await?;
                    w.flush()?;
                    n
                }
                None => lgsp_audit::export(&pool, &filter, format, &mut stdout).await?,
            };
            eprintln!("exported {written} entries");
            Ok(())
        }
        AuditCommand::PublicKey => {
            writeln!(stdout, "{}", platform_public_key(&config)?.to_base64())?;
            Ok(())
        }
        AuditCommand::Seal => {
            let key = platform_key(&config)?;
            match lgsp_audit::seal(&pool, &key, chrono::Utc::now()).await? {
                Some(c) => writeln!(stdout, "sealed entry #{} ({})", c.seq, c.hash)?,
                None => writeln!(stdout, "the head is already sealed")?,
            }
            Ok(())
        }
    }
}

/// Runs `lgsp report`.
///
/// # Errors
/// When the database cannot be read.
pub(super) async fn report(args: ReportArgs) -> anyhow::Result<()> {
    let (_, pool) = open(&args.db).await?;
    let (from, to) = period(args.from.as_deref(), args.to.as_deref())?;
    let to = to.unwrap_or_else(chrono::Utc::now);
    let from = from.unwrap_or_else(|| to - chrono::Duration::days(7));
    let q = lgsp_audit::report::ReportQuery {
        from,
        to,
        agency: args.agency,
    };
    let kind = match args.report {
        ReportArg::Usage => crate::api::ReportKind::Usage,
        ReportArg::Reconciliation => crate::api::ReportKind::Reconciliation,
        ReportArg::Connections => crate::api::ReportKind::Connections,
    };
    let rows = crate::api::report_rows(&pool, kind, &q).await?;
    let mut stdout = std::io::stdout().lock();
    match args.format {
        ReportFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &rows)?;
            writeln!(stdout)?;
        }
        ReportFormat::Csv => stdout.write_all(&crate::api::report_csv(&rows)?)?,
    }
    Ok(())
}
