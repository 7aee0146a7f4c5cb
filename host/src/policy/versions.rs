//! Grants across a connector's versions. A grant is approved on the version
//! serving when the provider decided it; it reaches that version's major and
//! every other major whose tables still hold each granted column with the
//! same type and personal-data class. A major that removed or changed a
//! granted column is out of its reach until the provider approves it again
//! (`POST /v1/grants/{id}/reapprove`), which binds it to the newest version.

use crate::runtime::{ColumnSignature, Columns, PublishedVersion, Snapshot};
use chrono::{DateTime, Utc};
use lgsp_access::Grant;

/// The version a grant decided at `decided_at` was approved on: the newest
/// published in an earlier second (decisions are stored to the second, so a
/// version published in the same second may have come after it: the older
/// one is assumed, which can only ask for an approval too many, never give
/// a column too many), or the oldest when it predates every publication.
pub fn approved_on(
    history: &[PublishedVersion],
    decided_at: DateTime<Utc>,
) -> Option<&PublishedVersion> {
    history
        .iter()
        .filter(|v| v.published_at.timestamp() < decided_at.timestamp())
        .max_by(|a, b| a.version.cmp(&b.version))
        .or_else(|| history.iter().min_by(|a, b| a.version.cmp(&b.version)))
}

/// What changed, for `grant`, between the version it was approved on
/// (`base`) and `target`: each granted column removed or changed. Empty when
/// the grant still holds.
pub fn changes_for(grant: &Grant, base: &Columns, target: &Columns) -> Vec<String> {
    let mut changes = Vec::new();
    let tables: Vec<(&String, &Vec<ColumnSignature>)> = match &grant.table {
        Some(t) => base.get_key_value(t).into_iter().collect(),
        None => base.iter().collect(),
    };
    for (table, columns) in tables {
        let granted: Vec<&ColumnSignature> = columns
            .iter()
            .filter(|c| {
                if grant.columns.is_empty() {
                    c.personal_data != "sensitive" || grant.clear_columns.contains(&c.name)
                } else {
                    grant.columns.contains(&c.name) || grant.clear_columns.contains(&c.name)
                }
            })
            .collect();
        if granted.is_empty() {
            continue;
        }
        let Some(now) = target.get(table) else {
            changes.push(format!("table {table} was removed"));
            continue;
        };
        for c in granted {
            match now.iter().find(|n| n.name == c.name) {
                None => changes.push(format!("{table}.{} was removed", c.name)),
                Some(n) if n.sql_type != c.sql_type => changes.push(format!(
                    "{table}.{} changed type from {} to {}",
                    c.name, c.sql_type, n.sql_type
                )),
                Some(n) if n.personal_data != c.personal_data => changes.push(format!(
                    "{table}.{} changed personal-data class from {} to {}",
                    c.name, c.personal_data, n.personal_data
                )),
                Some(_) => {}
            }
        }
    }
    changes
}

/// The version `grant` was approved on: the one it was confirmed on when
/// approved again, else the one serving when it was decided.
pub fn base_version<'h>(
    grant: &Grant,
    history: &'h [PublishedVersion],
    snapshot: &Snapshot,
) -> Option<&'h PublishedVersion> {
    if let Some(bound) = snapshot.bindings.get(&grant.id) {
        return history.iter().find(|v| v.version == *bound);
    }
    approved_on(history, grant.decided_at?)
}

/// Whether `grant` reaches the version serving `schema` (a name or a
/// pinned `name@major`): always for connectors that were not published
/// (no history), else unless that version is of a later major than the one
/// it was approved on and changed a granted column.
pub fn reaches(grant: &Grant, schema: &str, snapshot: &Snapshot) -> bool {
    let Some(connector) = snapshot.serving(schema) else {
        return false;
    };
    let Some(history) = snapshot.history.get(&grant.schema) else {
        return true;
    };
    let Some(base) = base_version(grant, history, snapshot) else {
        return grant.decided_at.is_some();
    };
    let Ok(target) = semver::Version::parse(&connector.info().version) else {
        return true;
    };
    if target.major <= base.version.major {
        return true;
    }
    let Some(target) = history.iter().find(|v| v.version == target) else {
        return false;
    };
    changes_for(grant, &base.columns, &target.columns).is_empty()
}

/// The schemas `grant` reaches: its own name and each pinned major it is
/// compatible with.
pub fn reachable<'s>(grant: &Grant, snapshot: &'s Snapshot) -> Vec<&'s str> {
    let mut schemas = Vec::new();
    if let Some((name, _)) = snapshot.connectors.get_key_value(&grant.schema)
        && reaches(grant, name, snapshot)
    {
        schemas.push(name.as_str());
    }
    for (alias, _) in snapshot.pinned_of(&grant.schema) {
        if reaches(grant, alias, snapshot) {
            schemas.push(alias);
        }
    }
    schemas
}
