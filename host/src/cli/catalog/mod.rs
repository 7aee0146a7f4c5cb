//! `lgsp catalog`: manage the shared catalogs directly in the platform
//! database (list, create, import, publish, crosswalk, diff, export, look up).
//!
//! It opens the database file itself, so it works without a running server.
//! A running `lgsp serve` keeps the catalogs it loaded until it restarts;
//! while it runs, change catalogs through the HTTP admin routes instead.
//! [`args`] holds the command line, [`show`] the read-only commands.

use crate::catalogs::{CatalogError, CatalogService, ImportSpec, ImportStep, today};
use crate::config::Config;
use anyhow::Context;
use chrono::NaiveDate;
use indicatif::{ProgressBar, ProgressStyle};
use lgsp_catalogs::{CatalogDef, UnitLevel};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// Writes to stdout; a pipe closed early (`| head`) ends the output quietly
/// instead of failing.
fn emit(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

/// `println!` through [`emit`]; use inside functions returning `anyhow::Result`.
macro_rules! outln {
    ($($arg:tt)*) => {
        emit(&format!("{}\n", format_args!($($arg)*)))?
    };
}

mod args;
mod show;
#[cfg(test)]
mod tests;

pub use args::{CatalogArgs, CatalogCommand, CrosswalkInput, InputFormat, Level, OutputFile};

use args::extension;

/// Reads a file as UTF-8 text, saying where it stops being UTF-8.
fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        anyhow::anyhow!(
            "{} is not UTF-8 text (line {line}); convert it first",
            path.display()
        )
    })
}

/// Turns a catalog error into the command's failure. A rejected import
/// first prints every problem, one per line with its location, on stderr.
fn explain(e: CatalogError) -> anyhow::Error {
    match e {
        CatalogError::Invalid(problems) => {
            for p in &problems {
                let kind = serde_json::to_value(p.kind)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                match &p.at {
                    Some(at) => eprintln!("  {at}: [{kind}] {}", p.message),
                    None => eprintln!("  [{kind}] {}", p.message),
                }
            }
            anyhow::anyhow!(
                "rejected with {} problem(s), listed above; nothing was written",
                problems.len()
            )
        }
        CatalogError::UnknownCatalog(code) => {
            anyhow::anyhow!("there is no catalog {code:?}; `lgsp catalog list` lists them")
        }
        other => anyhow::Error::new(other),
    }
}

/// Runs `lgsp catalog ...`.
///
/// # Errors
/// When the database cannot be opened, or the operation fails (a rejected
/// import prints every problem first).
pub(super) async fn run(args: CatalogArgs) -> anyhow::Result<()> {
    let config = args.place.config(Config::default())?;
    let path = config.database();
    let service = CatalogService::open(&path)
        .await
        .with_context(|| format!("opening the platform database {}", path.display()))?;
    match args.command {
        CatalogCommand::List => show::list(&service).await,
        CatalogCommand::Create {
            code,
            name,
            owner,
            description,
            parent_catalog,
            attributes,
        } => {
            let def = CatalogDef {
                code,
                name,
                owner_agency: owner,
                description,
                attributes,
                parent_catalog,
            };
            service.create_catalog(&def).await.map_err(explain)?;
            outln!("created catalog {}", def.code);
            Ok(())
        }
        CatalogCommand::Import {
            catalog,
            file,
            version,
            valid_from,
            valid_to,
            format,
            level,
            publish,
        } => {
            let spec = ImportSpec {
                version,
                valid_from,
                valid_to,
                source: source_name(&file),
                publish,
            };
            let format = format.unwrap_or_else(|| InputFormat::for_file(&file));
            import(
                &service,
                &catalog,
                &file,
                &spec,
                format,
                level.map(Into::into),
            )
            .await
        }
        CatalogCommand::Publish { catalog, version } => {
            let info = service.publish(&catalog, &version).await.map_err(explain)?;
            outln!(
                "published {} version {} ({} items, valid {})",
                info.catalog,
                info.version,
                info.items,
                validity(info.valid_from, info.valid_to)
            );
            Ok(())
        }
        CatalogCommand::Delete { catalog, version } => {
            service
                .delete_draft(&catalog, &version)
                .await
                .map_err(explain)?;
            outln!("deleted draft {version} of {catalog}");
            Ok(())
        }
        CatalogCommand::Crosswalk {
            catalog,
            file,
            from,
            to,
            format,
            level,
        } => {
            let format = format.unwrap_or(match extension(&file).as_deref() {
                Some("json") => CrosswalkInput::Json,
                _ => CrosswalkInput::Csv,
            });
            let text = read_text(&file)?;
            let report = service
                .import_crosswalk(
                    &catalog,
                    &from,
                    &to,
                    format.into(),
                    level.map(Into::into),
                    &text,
                    &source_name(&file),
                )
                .await
                .map_err(explain)?;
            outln!(
                "crosswalk {catalog} {from} → {to}: {} rows, {} old codes, {} skipped",
                report.entries,
                report.old_codes,
                report.skipped.len()
            );
            for s in &report.skipped {
                outln!("  skipped {s}");
            }
            Ok(())
        }
        CatalogCommand::Diff {
            catalog,
            from,
            to,
            limit,
            json,
        } => show::diff(&service, &catalog, &from, &to, limit, json).await,
        CatalogCommand::Export {
            catalog,
            version,
            format,
            output,
        } => show::export(&service, &catalog, &version, format, output.as_deref()).await,
        CatalogCommand::Items {
            catalog,
            as_of,
            q,
            parent,
            limit,
        } => show::items(
            &service,
            &catalog,
            as_of.unwrap_or_else(today),
            q.as_deref(),
            parent.as_deref(),
            limit,
        ),
        CatalogCommand::Successors {
            catalog,
            code,
            as_of,
        } => show::successors(&service, &catalog, &code, as_of),
    }
}

/// What is recorded as a version's source: the file's name.
fn source_name(file: &Path) -> String {
    file.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.display().to_string())
}

fn validity(from: NaiveDate, to: Option<NaiveDate>) -> String {
    match to {
        Some(to) => format!("{from} to {to}"),
        None => format!("from {from}"),
    }
}

/// `import`: reads the file, imports it with a spinner fed by the import's
/// steps, and prints the outcome with the elapsed time.
async fn import(
    service: &CatalogService,
    catalog: &str,
    file: &Path,
    spec: &ImportSpec,
    format: InputFormat,
    level: Option<UnitLevel>,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} [{elapsed}]") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar.set_message(format!("reading {}", file.display()));
    let text = read_text(file)?;
    bar.set_message(format!("parsing {} bytes", text.len()));
    let shown = bar.clone();
    let progress = move |step: ImportStep| {
        shown.set_message(match step {
            ImportStep::Parsed(n) => format!("read {n} records; checking"),
            ImportStep::Validated => "checked; writing".to_owned(),
            ImportStep::Written => "written".to_owned(),
            ImportStep::Published => "published".to_owned(),
        });
    };
    let result = service
        .import(catalog, spec, format.into(), level, &text, Some(&progress))
        .await;
    bar.finish_and_clear();
    let info = result.map_err(|e| explain(e).context(format!("importing {}", file.display())))?;
    let elapsed = started.elapsed().as_secs_f64();
    outln!(
        "imported {} version {}: {} items, valid {}, {} in {elapsed:.2} s",
        info.catalog,
        info.version,
        info.items,
        validity(info.valid_from, info.valid_to),
        info.status.as_str(),
    );
    if !spec.publish {
        outln!(
            "readers see it once published: lgsp catalog publish {} {}",
            info.catalog,
            info.version
        );
    }
    Ok(())
}
