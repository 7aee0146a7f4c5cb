//! `lgsp query`: a client for `POST /v1/query` that prints aligned tables for
//! people and JSON, NDJSON or CSV for programs.

use crate::api::{ARROW_STREAM, PURPOSE_HEADER};
use anyhow::{Context, bail};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::util::pretty::pretty_format_batches;
use std::io::Write;

/// How to print the result.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OutputFormat {
    /// An aligned table.
    Table,
    /// The API's JSON document.
    Json,
    /// One JSON object per row.
    Ndjson,
    /// CSV with a header row.
    Csv,
}

/// Arguments of `lgsp query`.
#[derive(Debug, clap::Args)]
pub struct QueryArgs {
    /// The SQL statement, e.g. "SELECT * FROM dan_cu.cong_dan WHERE so_dinh_danh = '...'".
    pub sql: String,
    /// Base URL of the platform.
    #[arg(long, env = "LGSP_SERVER", default_value = "http://127.0.0.1:8080")]
    pub server: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Why you need the data (sent as x-purpose and recorded).
    #[arg(long, default_value = "")]
    pub purpose: String,
}

/// Runs the query and prints the result to stdout.
///
/// # Errors
/// When the platform cannot be reached or answers with an error.
pub(super) async fn run(args: QueryArgs) -> anyhow::Result<()> {
    let accept = match args.format {
        OutputFormat::Table => ARROW_STREAM,
        OutputFormat::Json => "application/json",
        OutputFormat::Ndjson => "application/x-ndjson",
        OutputFormat::Csv => "text/csv",
    };
    let url = format!("{}/v1/query", args.server.trim_end_matches('/'));
    let response = reqwest::Client::new()
        .post(&url)
        .header("accept", accept)
        .header(PURPOSE_HEADER, &args.purpose)
        .json(&serde_json::json!({ "sql": args.sql }))
        .send()
        .await
        .with_context(|| {
            format!(
                "cannot reach the platform at {}; is `lgsp serve` or `lgsp demo` running?",
                args.server
            )
        })?;
    let status = response.status();
    if !status.is_success() {
        let text = response.text().await.unwrap_or_default();
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(v) => bail!(
                "{} [{}] (HTTP {}, request {})",
                v["message"].as_str().unwrap_or("unknown error"),
                v["code"].as_str().unwrap_or("?"),
                status.as_u16(),
                v["request_id"].as_str().unwrap_or("?")
            ),
            Err(_) => bail!("HTTP {status}: {text}"),
        }
    }
    match args.format {
        OutputFormat::Table => {
            let bytes = response.bytes().await.context("reading the result")?;
            let reader = StreamReader::try_new(std::io::Cursor::new(bytes), None)
                .context("the result is not an Arrow stream")?;
            let batches = reader
                .collect::<Result<Vec<_>, _>>()
                .context("the result stream was cut short")?;
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            println!("{}", pretty_format_batches(&batches)?);
            println!("({rows} row{})", if rows == 1 { "" } else { "s" });
        }
        _ => {
            let mut stdout = std::io::stdout().lock();
            let mut response = response;
            while let Some(chunk) = response
                .chunk()
                .await
                .context("the result stream was cut short")?
            {
                stdout.write_all(&chunk)?;
            }
            if !matches!(args.format, OutputFormat::Ndjson | OutputFormat::Csv) {
                writeln!(stdout)?;
            }
        }
    }
    Ok(())
}
