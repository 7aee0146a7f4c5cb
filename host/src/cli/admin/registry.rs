//! The registry commands of `lgsp admin`: agencies, applications, keys,
//! services and grants, each printed as a table or as the admin API's JSON.

use super::Out;
use super::args::{AgencyCommand, AppCommand, GrantCommand, KeyCommand, ServiceCommand, Switch};
use crate::api::admin_rfc3339 as rfc3339;
use crate::api::{
    AgenciesResponse, AgencyDetail, AgencyDoc, AgencyEventDoc, ApplicationDoc,
    ApplicationsResponse, GrantDoc, GrantsResponse, IssuedKeyDoc, KeyDoc, KeysResponse, ServiceDoc,
    ServicesResponse,
};
use crate::server::Platform;
use anyhow::{Context, bail};
use chrono::{NaiveDate, Utc};
use lgsp_access::{
    AccessError, Actor, AgencyCode, AgencyStatus, AppStatus, ApplicationUpdate, Decision,
    GrantFilter, GrantStatus, KeyMaterial, NewAgency, NewApplication,
};
use serde::Serialize;
use std::path::Path;

/// An agency code argument.
fn code(s: &str) -> anyhow::Result<AgencyCode> {
    s.parse()
        .map_err(|e| anyhow::anyhow!("agency code {s:?}: {e}"))
}

/// Today in Vietnam (UTC+7), the default effective date.
fn today() -> NaiveDate {
    crate::auth::local_day(Utc::now()).0
}

/// `-` for an absent value in a table.
fn or_dash(v: Option<impl ToString>) -> String {
    v.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

async fn agency_detail(platform: &Platform, code: &AgencyCode) -> anyhow::Result<AgencyDetail> {
    let access = platform.auth.access();
    let agency = access
        .agency(code)
        .await?
        .ok_or_else(|| AccessError::UnknownAgency(code.clone()))?;
    let history = access.agency_history(code).await?;
    Ok(AgencyDetail {
        agency: agency.into(),
        history: history.into_iter().map(AgencyEventDoc::from).collect(),
    })
}

fn event_text(e: &AgencyEventDoc) -> String {
    match e.change.as_str() {
        "renamed" => format!(
            "renamed from {:?} to {:?}",
            e.old_name.as_deref().unwrap_or(""),
            e.new_name.as_deref().unwrap_or("")
        ),
        "merged_into" => format!("merged into {}", e.agencies.join(", ")),
        "split_into" => format!("split into {}", e.agencies.join(", ")),
        "absorbed" => format!("absorbed {}", e.agencies.join(", ")),
        "split_from" => format!("took over part of {}", e.agencies.join(", ")),
        other => other.to_owned(),
    }
}

/// Prints an agency with its history.
fn print_agency(out: &mut Out<'_>, d: &AgencyDetail) -> anyhow::Result<()> {
    if out.json {
        return out.json(d);
    }
    let a = &d.agency;
    out.fields(&[
        ("code", a.code.clone()),
        ("name", a.name.clone()),
        ("parent", or_dash(a.parent.as_ref())),
        ("status", a.status.clone()),
        ("level", a.level.to_string()),
        ("registered", a.created_at.clone()),
    ])?;
    out.line("")?;
    let rows: Vec<Vec<String>> = d
        .history
        .iter()
        .map(|e| {
            vec![
                e.effective.to_string(),
                event_text(e),
                e.recorded_at.clone(),
            ]
        })
        .collect();
    out.table(&["effective", "change", "recorded"], &rows)
}

fn agency_row(a: &AgencyDoc) -> Vec<String> {
    vec![
        a.code.clone(),
        a.name.clone(),
        or_dash(a.parent.as_ref()),
        a.status.clone(),
        a.level.to_string(),
    ]
}

/// `agency ...`.
pub(super) async fn agency(
    platform: &Platform,
    command: AgencyCommand,
    out: &mut Out<'_>,
) -> anyhow::Result<()> {
    let access = platform.auth.access();
    let shown = match command {
        AgencyCommand::Create {
            code: c,
            name,
            parent,
        } => {
            let new = NewAgency {
                code: code(&c)?,
                name,
                parent: parent.as_deref().map(code).transpose()?,
            };
            let created = access.create_agency(new).await?;
            created.code
        }
        AgencyCommand::List => {
            let agencies: Vec<AgencyDoc> = access
                .agencies()
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            if out.json {
                return out.json(&AgenciesResponse { agencies });
            }
            let rows: Vec<Vec<String>> = agencies.iter().map(agency_row).collect();
            return out.table(&["code", "name", "parent", "status", "level"], &rows);
        }
        AgencyCommand::Show { code: c } => code(&c)?,
        AgencyCommand::Rename {
            code: c,
            name,
            effective,
        } => {
            let c = code(&c)?;
            access
                .rename_agency(&c, &name, effective.unwrap_or_else(today))
                .await?;
            c
        }
        AgencyCommand::Merge {
            from,
            into,
            effective,
        } => {
            let from: Vec<AgencyCode> = from.iter().map(|c| code(c)).collect::<Result<_, _>>()?;
            let into = code(&into)?;
            access
                .merge_agencies(&from, &into, effective.unwrap_or_else(today))
                .await?;
            into
        }
        AgencyCommand::Split {
            code: c,
            into,
            effective,
        } => {
            let c = code(&c)?;
            let into: Vec<AgencyCode> = into.iter().map(|c| code(c)).collect::<Result<_, _>>()?;
            access
                .split_agency(&c, &into, effective.unwrap_or_else(today))
                .await?;
            c
        }
        AgencyCommand::Suspend { code: c } => {
            let c = code(&c)?;
            access
                .set_agency_status(&c, AgencyStatus::Suspended)
                .await?;
            c
        }
        AgencyCommand::Activate { code: c } => {
            let c = code(&c)?;
            access.set_agency_status(&c, AgencyStatus::Active).await?;
            c
        }
    };
    print_agency(out, &agency_detail(platform, &shown).await?)
}

fn tier_text(t: &crate::api::TierDoc) -> String {
    match t.per_day {
        Some(d) => format!("{}/min, {d}/day", t.per_minute),
        None => format!("{}/min", t.per_minute),
    }
}

fn app_row(a: &ApplicationDoc) -> Vec<String> {
    vec![
        a.id.clone(),
        a.agency.clone(),
        a.name.clone(),
        a.status.clone(),
        tier_text(&a.tier),
        if a.legacy_sha1 { "yes" } else { "no" }.to_owned(),
    ]
}

const APP_HEADER: [&str; 6] = ["id", "agency", "name", "status", "tier", "sha1"];

fn key_row(k: &KeyDoc) -> Vec<String> {
    vec![
        k.access_key.clone(),
        k.kind.clone(),
        k.status.clone(),
        k.created_at.clone(),
        or_dash(k.expires_at.as_ref()),
        or_dash(k.replaced_by.as_ref()),
    ]
}

const KEY_HEADER: [&str; 6] = [
    "access key",
    "kind",
    "status",
    "created",
    "expires",
    "replaced by",
];

/// An application and its keys, as `app show --json` prints them.
#[derive(Debug, Serialize)]
struct AppWithKeys {
    application: ApplicationDoc,
    keys: Vec<KeyDoc>,
}

/// `app ...`.
pub(super) async fn app(
    platform: &Platform,
    command: AppCommand,
    out: &mut Out<'_>,
) -> anyhow::Result<()> {
    let access = platform.auth.access();
    let app = match command {
        AppCommand::Create {
            agency,
            name,
            tier,
            legacy_sha1,
        } => {
            let new = NewApplication {
                agency: code(&agency)?,
                name,
                legacy_sha1,
                tier: tier.0,
            };
            access.create_application(new).await?
        }
        AppCommand::List { agency } => {
            let agency = agency.as_deref().map(code).transpose()?;
            let applications: Vec<ApplicationDoc> = access
                .applications(agency.as_ref())
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            if out.json {
                return out.json(&ApplicationsResponse { applications });
            }
            let rows: Vec<Vec<String>> = applications.iter().map(app_row).collect();
            return out.table(&APP_HEADER, &rows);
        }
        AppCommand::Show { id } => {
            let application: ApplicationDoc = access
                .application(&id)
                .await?
                .ok_or_else(|| AccessError::UnknownApplication(id.clone()))?
                .into();
            let keys: Vec<KeyDoc> = access
                .keys(&id)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            if out.json {
                return out.json(&AppWithKeys { application, keys });
            }
            out.table(&APP_HEADER, &[app_row(&application)])?;
            out.line("")?;
            let rows: Vec<Vec<String>> = keys.iter().map(key_row).collect();
            return out.table(&KEY_HEADER, &rows);
        }
        AppCommand::Suspend { id } => {
            access
                .set_application_status(&id, AppStatus::Suspended)
                .await?
        }
        AppCommand::Activate { id } => {
            access
                .set_application_status(&id, AppStatus::Active)
                .await?
        }
        AppCommand::SetTier { id, tier } => {
            let update = ApplicationUpdate {
                tier: Some(tier.0),
                ..ApplicationUpdate::default()
            };
            access.update_application(&id, update).await?
        }
        AppCommand::SetLegacy { id, legacy_sha1 } => {
            let update = ApplicationUpdate {
                legacy_sha1: Some(legacy_sha1 == Switch::On),
                ..ApplicationUpdate::default()
            };
            access.update_application(&id, update).await?
        }
    };
    let doc = ApplicationDoc::from(app);
    if out.json {
        return out.json(&doc);
    }
    out.table(&APP_HEADER, &[app_row(&doc)])
}

fn read_pem(file: &Path) -> anyhow::Result<KeyMaterial> {
    let public_key_pem = std::fs::read_to_string(file)
        .with_context(|| format!("reading the RSA public key {}", file.display()))?;
    Ok(KeyMaterial::Rsa { public_key_pem })
}

/// Prints a key just issued, its secret once, with the warning to store it.
fn print_issued(out: &mut Out<'_>, issued: &IssuedKeyDoc) -> anyhow::Result<()> {
    const WARNING: &str = "Store the secret key now, somewhere safe: it is shown only this once \
                           and the platform cannot show it again.";
    if out.json {
        if issued.secret_key.is_some() {
            eprintln!("{WARNING}");
        }
        return out.json(issued);
    }
    let mut fields = vec![
        ("access key", issued.key.access_key.clone()),
        ("application", issued.key.application.clone()),
        ("kind", issued.key.kind.clone()),
        ("expires", or_dash(issued.key.expires_at.as_ref())),
    ];
    if let Some(secret) = &issued.secret_key {
        fields.push(("secret key", secret.clone()));
    }
    out.fields(&fields)?;
    if issued.secret_key.is_some() {
        out.line("")?;
        out.line(WARNING)?;
        out.line(format_args!(
            "A client profile: LGSP_SECRET_KEY=<secret> lgsp admin credentials --access-key {}",
            issued.key.access_key
        ))?;
    }
    Ok(())
}

/// `key ...`.
pub(super) async fn key(
    platform: &Platform,
    command: KeyCommand,
    out: &mut Out<'_>,
) -> anyhow::Result<()> {
    let access = platform.auth.access();
    match command {
        KeyCommand::Create {
            app,
            rsa_public_key,
            expires,
        } => {
            let material = match &rsa_public_key {
                Some(file) => read_pem(file)?,
                None => KeyMaterial::Hmac,
            };
            let issued = access.create_key(&app, material, expires).await?;
            print_issued(out, &issued.into())
        }
        KeyCommand::List { app } => {
            let keys: Vec<KeyDoc> = access
                .keys(&app)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            if out.json {
                return out.json(&KeysResponse { keys });
            }
            let rows: Vec<Vec<String>> = keys.iter().map(key_row).collect();
            out.table(&KEY_HEADER, &rows)
        }
        KeyCommand::Rotate {
            access_key,
            grace,
            rsa_public_key,
        } => {
            let material = match &rsa_public_key {
                Some(file) => read_pem(file)?,
                None => KeyMaterial::Hmac,
            };
            let issued: IssuedKeyDoc = access
                .rotate_key(&access_key, grace, material)
                .await?
                .into();
            print_issued(out, &issued)?;
            if !out.json {
                let old = access
                    .keys(&issued.key.application)
                    .await?
                    .into_iter()
                    .find(|k| k.access_key == access_key);
                let until = old.and_then(|k| k.expires_at).map(rfc3339);
                out.line(format_args!(
                    "The old key {access_key} keeps working until {}.",
                    or_dash(until)
                ))?;
            }
            Ok(())
        }
        KeyCommand::Revoke { access_key } => {
            let key: KeyDoc = access.revoke_key(&access_key).await?.into();
            if out.json {
                return out.json(&key);
            }
            out.line(format_args!(
                "revoked {} at {}; requests signed with it are refused from now on",
                key.access_key,
                or_dash(key.revoked_at.as_ref())
            ))
        }
    }
}

/// `service ...`.
pub(super) async fn service(
    platform: &Platform,
    command: ServiceCommand,
    out: &mut Out<'_>,
) -> anyhow::Result<()> {
    let access = platform.auth.access();
    if let ServiceCommand::Set { schema, agency } = &command {
        access.set_service_provider(schema, &code(agency)?).await?;
    }
    let services: Vec<ServiceDoc> = access
        .services()
        .await?
        .into_iter()
        .map(|s| ServiceDoc {
            schema: s.schema,
            provider: Some(s.provider.to_string()),
            updated_at: Some(rfc3339(s.updated_at)),
            // The command line loads no connector.
            loaded: false,
        })
        .collect();
    let services = match command {
        ServiceCommand::Set { schema, .. } => services
            .into_iter()
            .filter(|s| s.schema == schema)
            .collect(),
        ServiceCommand::List => services,
    };
    if out.json {
        return out.json(&ServicesResponse { services });
    }
    let rows: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            vec![
                s.schema.clone(),
                or_dash(s.provider.as_ref()),
                or_dash(s.updated_at.as_ref()),
            ]
        })
        .collect();
    out.table(&["schema", "provider", "updated"], &rows)
}

fn parse_grant_status(s: &str) -> anyhow::Result<GrantStatus> {
    Ok(match s {
        "requested" => GrantStatus::Requested,
        "approved" => GrantStatus::Approved,
        "rejected" => GrantStatus::Rejected,
        "revoked" => GrantStatus::Revoked,
        other => bail!("status {other:?}: use requested, approved, rejected or revoked"),
    })
}

/// Checks what the command line can check of a row filter: its length and
/// that it is one SQL expression. Its columns are checked only by the HTTP
/// API, which has the connectors' tables loaded.
pub(super) fn check_row_filter_syntax(sql: &str) -> anyhow::Result<()> {
    let max = crate::policy::MAX_ROW_FILTER_BYTES;
    if sql.len() > max {
        bail!(
            "the row filter is {} bytes long; the limit is {max}",
            sql.len()
        );
    }
    datafusion::sql::parser::DFParser::parse_sql_into_expr(sql)
        .map(|_| ())
        .map_err(|e| anyhow::anyhow!("the row filter is not one SQL expression: {e}"))
}

/// Who the command line records as deciding.
fn actor(by: Option<String>) -> Actor {
    let name = by
        .or_else(|| std::env::var("USER").ok())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "cli".to_owned());
    Actor::Admin(name)
}

fn grant_row(g: &GrantDoc) -> Vec<String> {
    let target = match &g.table {
        Some(t) => format!("{}.{t}", g.schema),
        None => format!("{}.*", g.schema),
    };
    vec![
        g.id.clone(),
        g.status.clone(),
        g.consumer_application.clone(),
        g.consumer_agency.clone(),
        g.provider_agency.clone(),
        target,
        format!("{} to {}", g.valid_from, g.valid_to),
        g.purpose.clone(),
    ]
}

/// `grant ...`.
pub(super) async fn grant(
    platform: &Platform,
    command: GrantCommand,
    out: &mut Out<'_>,
) -> anyhow::Result<()> {
    let access = platform.auth.access();
    let grant = match command {
        GrantCommand::List {
            status,
            consumer_agency,
            provider_agency,
            application,
        } => {
            let filter = GrantFilter {
                consumer_agency: consumer_agency.as_deref().map(code).transpose()?,
                provider_agency: provider_agency.as_deref().map(code).transpose()?,
                application,
                status: status.as_deref().map(parse_grant_status).transpose()?,
                schema: None,
            };
            let grants: Vec<GrantDoc> = access
                .grants(&filter)
                .await?
                .into_iter()
                .map(Into::into)
                .collect();
            if out.json {
                return out.json(&GrantsResponse { grants });
            }
            let rows: Vec<Vec<String>> = grants.iter().map(grant_row).collect();
            return out.table(
                &[
                    "id",
                    "status",
                    "application",
                    "consumer",
                    "provider",
                    "what",
                    "valid",
                    "purpose",
                ],
                &rows,
            );
        }
        GrantCommand::Approve { id, row_filter, by } => {
            let row_filter = row_filter.filter(|f| !f.trim().is_empty());
            if let Some(f) = &row_filter {
                check_row_filter_syntax(f)?;
            }
            let checked_here = row_filter.is_some();
            let grant = access
                .decide_grant(&id, &actor(by), Decision::Approve { row_filter })
                .await?;
            if checked_here && !out.json {
                out.line(
                    "note: the row filter's syntax was checked, not its columns (the command line \
                     loads no connector); a filter naming a missing column fails the grant's queries",
                )?;
            }
            grant
        }
        GrantCommand::Reject { id, reason, by } => {
            access
                .decide_grant(&id, &actor(by), Decision::Reject { reason })
                .await?
        }
        GrantCommand::Revoke { id, reason, by } => {
            access.revoke_grant(&id, &actor(by), &reason).await?
        }
    };
    let doc = GrantDoc::from(grant);
    if out.json {
        return out.json(&doc);
    }
    out.fields(&[
        ("grant", doc.id.clone()),
        ("status", doc.status.clone()),
        ("row filter", or_dash(doc.row_filter.as_ref())),
        ("decided by", or_dash(doc.decided_by.as_ref())),
        ("reason", or_dash(doc.reason.as_ref())),
    ])
}
