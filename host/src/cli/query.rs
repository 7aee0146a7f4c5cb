//! `lgsp query`: a signed client for `POST /v1/query` that prints aligned
//! tables for people and JSON, NDJSON or CSV for programs. It signs with a
//! credentials profile (like cloud CLIs), opens a session for the schemas the
//! query names, and states the purpose.

use super::client::{Client, ProfileArgs, refusal};
use crate::api::{ARROW_STREAM, PURPOSE_HEADER};
use anyhow::Context;
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
    /// Who signs, against which platform.
    #[command(flatten)]
    pub signer: ProfileArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Why you need the data (sent as x-purpose, must match a grant's
    /// purpose, and is recorded) [default: the profile's `purpose`].
    #[arg(long)]
    pub purpose: Option<String>,
    /// Session destinations (schemas or tables) [default: the profile's
    /// `destinations`, else the schemas the SQL names].
    #[arg(long = "destination")]
    pub destinations: Vec<String>,
}

/// The schemas the tables of `sql` belong to: a session's default
/// destinations. Unparsable SQL gives none; the platform reports why.
fn schemas_in(sql: &str) -> Vec<String> {
    use datafusion::sql::parser::DFParser;
    use datafusion::sql::resolve::resolve_table_references;
    let Ok(mut statements) = DFParser::parse_sql(sql) else {
        return Vec::new();
    };
    let Some(statement) = statements.pop_front() else {
        return Vec::new();
    };
    let Ok((tables, _ctes)) = resolve_table_references(&statement, true) else {
        return Vec::new();
    };
    let mut schemas: Vec<String> = tables
        .iter()
        .filter_map(|t| t.schema().map(str::to_owned))
        .filter(|s| s != crate::query::CATALOG_SCHEMA)
        .collect();
    schemas.sort();
    schemas.dedup();
    schemas
}

/// Opens a session, runs the query signed, and prints the result to stdout.
///
/// # Errors
/// When the credentials cannot be read, the platform cannot be reached, or
/// it answers with an error.
pub(super) async fn run(args: QueryArgs) -> anyhow::Result<()> {
    let client = Client::from_args(&args.signer)?;
    let profile = client.profile();
    let purpose = args
        .purpose
        .clone()
        .or_else(|| profile.purpose.clone())
        .unwrap_or_default();
    let mut destinations = if args.destinations.is_empty() {
        profile.destinations.clone()
    } else {
        args.destinations.clone()
    };
    if destinations.is_empty() {
        destinations = schemas_in(&args.sql);
    }
    let accept = match args.format {
        OutputFormat::Table => ARROW_STREAM,
        OutputFormat::Json => "application/json",
        OutputFormat::Ndjson => "application/x-ndjson",
        OutputFormat::Csv => "text/csv",
    };
    let session = client
        .send(
            "POST",
            "/v1/auth/sessions",
            &[],
            Some(&serde_json::json!({ "destinations": destinations })),
        )
        .await?;
    if !session.status().is_success() {
        return Err(refusal(session).await.context("opening a session"));
    }
    let session: serde_json::Value = session.json().await.context("reading the session")?;
    let token = session["session_token"]
        .as_str()
        .context("the platform sent no session token")?
        .to_owned();
    let response = client
        .send(
            "POST",
            "/v1/query",
            &[
                ("accept", accept),
                (PURPOSE_HEADER, &purpose),
                (lgsp_auth::SESSION_HEADER, &token),
            ],
            Some(&serde_json::json!({ "sql": args.sql })),
        )
        .await?;
    if !response.status().is_success() {
        return Err(refusal(response).await);
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

#[cfg(test)]
mod tests {
    use super::schemas_in;

    #[test]
    fn finds_the_schemas_a_query_names() {
        assert_eq!(
            schemas_in(
                "SELECT c.ho_ten FROM dan_cu.cong_dan c JOIN bhxh.the_bhyt t USING (so_dinh_danh) \
                 JOIN danh_muc.dvhc_tinh p ON p.ma = c.ma_tinh \
                 WHERE c.so_dinh_danh IN (SELECT so_dinh_danh FROM dat_dai.quyen_su_dung WHERE ma_xa = '1')"
            ),
            vec!["bhxh", "dan_cu", "dat_dai"]
        );
        assert!(schemas_in("SELEC nonsense").is_empty());
    }
}
