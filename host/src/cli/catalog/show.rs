//! The read-only commands: list, diff, export, items, successors, and the
//! aligned tables they print.

use super::args::OutputFile;
use super::{emit, explain, validity};
use crate::catalogs::{CatalogService, ExportFormat, today};
use anyhow::{Context, bail};
use chrono::NaiveDate;
use lgsp_catalogs::Item;
use std::path::Path;

/// `list`: every catalog, its current version and all its versions.
pub(super) async fn list(service: &CatalogService) -> anyhow::Result<()> {
    let day = today();
    let index = service.index();
    let mut rows = Vec::new();
    for (def, mut versions) in service.catalogs().await? {
        versions.sort_by_key(|a| a.valid_from);
        let current = index
            .catalog(&def.code)
            .and_then(|c| c.version_on(day))
            .map(|v| v.info.version.clone())
            .unwrap_or_else(|| "-".into());
        let versions = versions
            .iter()
            .map(|v| format!("{} ({}, {})", v.version, v.status.as_str(), v.items))
            .collect::<Vec<_>>()
            .join(", ");
        rows.push(vec![def.code, def.name, current, versions]);
    }
    print_table(
        &["code", "name", "current", "versions (status, items)"],
        &rows,
    )
}

/// `diff`: counts per kind of change and the first lines of each, or all as JSON.
pub(super) async fn diff(
    service: &CatalogService,
    catalog: &str,
    from: &str,
    to: &str,
    limit: usize,
    json: bool,
) -> anyhow::Result<()> {
    let (a, b, changes) = service.diff(catalog, from, to).await.map_err(explain)?;
    if json {
        let body = crate::api::ChangesResponse {
            from: a,
            to: b,
            changes,
        };
        outln!("{}", serde_json::to_string_pretty(&body)?);
        return Ok(());
    }
    outln!(
        "{catalog} {from} → {to}: {} added, {} removed, {} renamed, {} reparented, {} changed",
        changes.added.len(),
        changes.removed.len(),
        changes.renamed.len(),
        changes.reparented.len(),
        changes.changed.len()
    );
    let item_line = |i: &Item| format!("{} {}", i.code, i.name);
    section("added", "+", changes.added.iter().map(item_line), limit)?;
    section("removed", "-", changes.removed.iter().map(item_line), limit)?;
    section(
        "renamed",
        "~",
        changes
            .renamed
            .iter()
            .map(|r| format!("{}: {} → {}", r.code, r.old_name, r.new_name)),
        limit,
    )?;
    section(
        "reparented",
        "^",
        changes.reparented.iter().map(|r| {
            format!(
                "{}: {} → {}",
                r.code,
                r.old_parent.as_deref().unwrap_or("-"),
                r.new_parent.as_deref().unwrap_or("-")
            )
        }),
        limit,
    )?;
    section("changed", "*", changes.changed.iter().map(item_line), limit)?;
    Ok(())
}

/// Prints up to `limit` lines of one kind of change, and how many more.
fn section(
    title: &str,
    mark: &str,
    lines: impl ExactSizeIterator<Item = String>,
    limit: usize,
) -> anyhow::Result<()> {
    let total = lines.len();
    if total == 0 {
        return Ok(());
    }
    outln!("{title}:");
    for line in lines.take(limit) {
        outln!("  {mark} {line}");
    }
    if total > limit {
        outln!(
            "  … and {} more (--limit, or --json for all)",
            total - limit
        );
    }
    Ok(())
}

/// `export`: a version as CSV or JSON, to a file or stdout.
pub(super) async fn export(
    service: &CatalogService,
    catalog: &str,
    version: &str,
    format: OutputFile,
    output: Option<&Path>,
) -> anyhow::Result<()> {
    let format = match format {
        OutputFile::Csv => ExportFormat::Csv,
        OutputFile::Json => ExportFormat::Json,
    };
    let file = service
        .export(catalog, version, format)
        .await
        .map_err(explain)?;
    let (body, items) = (file.body, file.items);
    match output {
        Some(path) => {
            std::fs::write(path, body)
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {items} items to {}", path.display());
        }
        None => emit(&body)?,
    }
    Ok(())
}

/// `items`: a table of the items valid on a date.
pub(super) fn items(
    service: &CatalogService,
    catalog: &str,
    day: NaiveDate,
    q: Option<&str>,
    parent: Option<&str>,
    limit: usize,
) -> anyhow::Result<()> {
    let limit = limit.min(crate::api::MAX_LIMIT);
    let page = crate::api::items_page(&service.index(), catalog, day, q, parent, 0, limit)
        .map_err(explain)?;
    let rows: Vec<Vec<String>> = page
        .items
        .into_iter()
        .map(|i| {
            vec![
                i.code,
                i.name,
                i.parent.unwrap_or_default(),
                i.level.unwrap_or_default(),
            ]
        })
        .collect();
    print_table(&["code", "name", "parent", "level"], &rows)?;
    outln!(
        "({} of {} matching; {catalog} version {} valid {})",
        rows.len(),
        page.total,
        page.version.version,
        validity(page.version.valid_from, page.version.valid_to)
    );
    Ok(())
}

/// `successors`: today's codes for an old code; fails when there are none.
pub(super) fn successors(
    service: &CatalogService,
    catalog: &str,
    code: &str,
    as_of: NaiveDate,
) -> anyhow::Result<()> {
    let found = crate::api::successors_of(&service.index(), catalog, code, as_of, today())
        .map_err(explain)?;
    let current = found
        .current_version
        .as_ref()
        .map(|v| v.version.as_str())
        .unwrap_or("-");
    outln!(
        "{catalog} {} as of {as_of} (version {}) → today (version {current}):",
        found.code,
        found.from_version.version
    );
    if found.successors.is_empty() {
        bail!("no current code: the unit was abolished without a crosswalk row");
    }
    for s in &found.successors {
        outln!("  {} {} ({})", s.code, s.name, s.mapping.as_str());
    }
    Ok(())
}

/// Prints rows under a header, columns aligned by characters.
fn print_table(header: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let mut text = print_row(header.iter().copied(), &widths);
    text += &print_row(rule.iter().map(String::as_str), &widths);
    for row in rows {
        text += &print_row(row.iter().map(String::as_str), &widths);
    }
    emit(&text)
}

/// One aligned line of a table.
fn print_row<'a>(cells: impl Iterator<Item = &'a str>, widths: &[usize]) -> String {
    let parts: Vec<String> = cells
        .zip(widths)
        .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
        .collect();
    format!("{}\n", parts.join("  ").trim_end())
}
