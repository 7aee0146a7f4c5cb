//! `lgsp admin` on temporary databases: the commands run as the binary runs
//! them, with their output captured.

use super::args::{day, expiry, grace, tier};
use super::*;
use crate::cli::{Cli, Command};
use chrono::TimeZone;
use clap::Parser;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

const PASSWORD: &str = "Quản-trị-2025";

/// A temporary directory holding the database and master key.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn dir() -> Dir {
    let path = std::env::temp_dir().join(format!("lgsp-cli-admin-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&path).expect("temp dir");
    Dir(path)
}

fn args(dir: &Path, json: bool, command: AdminCommand) -> AdminArgs {
    AdminArgs {
        place: crate::cli::DatabaseArgs {
            config: None,
            database: Some(dir.join("lgsp.db")),
            data_dir: None,
            master_key_file: Some(dir.join("master.key")),
        },
        json,
        command,
    }
}

/// Runs a command; `init` gets `password`.
async fn run_with(
    dir: &Path,
    json: bool,
    command: AdminCommand,
    password: &str,
) -> anyhow::Result<String> {
    let mut out = Vec::new();
    let given = password.to_owned();
    let source = move |_: &str, _: bool| Ok(given.clone());
    execute(args(dir, json, command), &mut out, &source).await?;
    Ok(String::from_utf8(out).expect("UTF-8 output"))
}

async fn text(dir: &Path, command: AdminCommand) -> String {
    run_with(dir, false, command, PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

async fn json(dir: &Path, command: AdminCommand) -> Value {
    let out = run_with(dir, true, command, PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

async fn fails(dir: &Path, command: AdminCommand) -> String {
    match run_with(dir, false, command, PASSWORD).await {
        Ok(out) => panic!("expected a failure, got: {out}"),
        Err(e) => format!("{e:#}"),
    }
}

/// The platform the commands wrote to.
async fn platform(dir: &Path) -> Platform {
    let config = Config {
        database: Some(dir.join("lgsp.db")),
        master_key_file: Some(dir.join("master.key")),
        ..Config::default()
    };
    crate::server::open_platform(&config).await.expect("open")
}

fn parse(line: &[&str]) -> Result<AdminCommand, clap::Error> {
    let mut argv = vec!["lgsp", "admin"];
    argv.extend_from_slice(line);
    match Cli::try_parse_from(argv)?.command {
        Command::Admin(a) => Ok(a.command),
        other => panic!("parsed as {other:?}"),
    }
}

fn cmd(line: &[&str]) -> AdminCommand {
    parse(line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
}

#[tokio::test]
async fn init_creates_only_the_first_admin_under_the_policy() {
    let d = dir();
    let init = || cmd(&["init", "--username", "root"]);
    let weak = run_with(&d.0, false, init(), "abc")
        .await
        .expect_err("weak password");
    let message = format!("{weak:#}");
    for rule in [
        "at least 8 characters",
        "an upper-case letter",
        "a digit",
        "a special character",
    ] {
        assert!(message.contains(&format!("  - {rule}")), "{message}");
    }
    assert!(!message.contains("a lower-case letter"), "{message}");
    assert_eq!(
        platform(&d.0).await.auth.access().admin_count().await.ok(),
        Some(0)
    );

    let out = text(&d.0, init()).await;
    assert!(out.contains("created administrator root"), "{out}");
    let p = platform(&d.0).await;
    assert!(p.auth.access().verify_admin("root", PASSWORD).await.is_ok());

    let again = run_with(
        &d.0,
        false,
        cmd(&["init", "--username", "second"]),
        PASSWORD,
    )
    .await
    .expect_err("a second init");
    assert!(format!("{again:#}").contains("already exists"), "{again:#}");
    assert!(
        p.auth
            .access()
            .admin("second")
            .await
            .ok()
            .flatten()
            .is_none()
    );
}

#[tokio::test]
async fn agencies_applications_keys_and_grants_round_trip() {
    let d = dir();
    let p = &d.0;
    text(
        p,
        cmd(&["agency", "create", "000.00.00.H01", "--name", "Bộ Công an"]),
    )
    .await;
    let created = text(
        p,
        cmd(&[
            "agency",
            "create",
            "000.00.00.H26",
            "--name",
            "UBND tỉnh Thái Bình",
        ]),
    )
    .await;
    assert!(
        created.contains("UBND tỉnh Thái Bình") && created.contains("created"),
        "{created}"
    );
    let bad = fails(
        p,
        cmd(&["agency", "create", "000.00.00.h26", "--name", "x"]),
    )
    .await;
    assert!(bad.contains("000.00.00.H26"), "{bad}");
    text(
        p,
        cmd(&[
            "agency",
            "create",
            "000.00.00.H02",
            "--name",
            "UBND tỉnh Hà Giang",
        ]),
    )
    .await;
    text(
        p,
        cmd(&[
            "agency",
            "create",
            "000.00.00.H08",
            "--name",
            "UBND tỉnh Tuyên Quang",
        ]),
    )
    .await;
    let merged = text(
        p,
        cmd(&[
            "agency",
            "merge",
            "000.00.00.H02",
            "--into",
            "000.00.00.H08",
            "--effective",
            "2025-07-01",
        ]),
    )
    .await;
    assert!(merged.contains("absorbed 000.00.00.H02"), "{merged}");
    let retired = fails(
        p,
        cmd(&["agency", "create", "000.00.00.H02", "--name", "Mới"]),
    )
    .await;
    assert!(retired.contains("never reused"), "{retired}");
    let list = text(p, cmd(&["agency", "list"])).await;
    let h02 = list
        .lines()
        .find(|l| l.starts_with("000.00.00.H02"))
        .unwrap_or_else(|| panic!("{list}"));
    assert!(h02.contains("dissolved"), "{list}");
    let suspended = json(p, cmd(&["agency", "suspend", "000.00.00.H08"])).await;
    assert_eq!(suspended["agency"]["status"], "suspended");
    assert_eq!(suspended["history"][2]["change"], "suspended");

    let app = json(
        p,
        cmd(&[
            "app",
            "create",
            "--agency",
            "000.00.00.H26",
            "--name",
            "Một cửa",
            "--tier",
            "extended",
        ]),
    )
    .await;
    assert_eq!(app["tier"]["per_minute"], 2000);
    let id = app["id"].as_str().expect("id").to_owned();
    let tiered = json(p, cmd(&["app", "set-tier", &id, "300/min,10000/day"])).await;
    assert_eq!(
        tiered["tier"],
        serde_json::json!({ "per_minute": 300, "per_day": 10000 })
    );
    let legacy = json(p, cmd(&["app", "set-legacy", &id, "on"])).await;
    assert_eq!(legacy["legacy_sha1"], true);
    let off = json(p, cmd(&["app", "suspend", &id])).await;
    assert_eq!(off["status"], "suspended");
    let on = text(p, cmd(&["app", "activate", &id])).await;
    assert!(on.contains("active") && on.contains(&id), "{on}");

    // An HMAC key: the secret is printed once, with the warning.
    let issued = text(p, cmd(&["key", "create", &id])).await;
    assert!(issued.contains("shown only this once"), "{issued}");
    let field = |label: &str| {
        issued
            .lines()
            .find_map(|l| l.strip_prefix(label))
            .map(|v| v.trim_start_matches(':').trim().to_owned())
            .unwrap_or_else(|| panic!("no {label}: {issued}"))
    };
    let access_key = field("access key");
    let secret = field("secret key");
    assert_eq!(secret.len(), 40, "{issued}");
    let keys = text(p, cmd(&["key", "list", &id])).await;
    assert!(
        keys.contains(&access_key) && !keys.contains(&secret),
        "{keys}"
    );
    let shown = text(p, cmd(&["app", "show", &id])).await;
    assert!(
        shown.contains(&access_key) && !shown.contains(&secret),
        "{shown}"
    );
    let caller = platform(p)
        .await
        .auth
        .access()
        .caller_by_key(&access_key, chrono::Utc::now())
        .await
        .expect("the key works");
    assert_eq!(caller.application.id, id);

    // An RSA key from a PEM file, with an expiry date.
    let pem = p.join("client.pub.pem");
    std::fs::write(&pem, lgsp_auth::vectors::TEST_RSA_PUBLIC_KEY_PEM).expect("write");
    let rsa = json(
        p,
        cmd(&[
            "key",
            "create",
            &id,
            "--rsa-public-key",
            &pem.display().to_string(),
            "--expires",
            "2999-12-31",
        ]),
    )
    .await;
    assert_eq!(rsa["kind"], "rsa");
    assert!(rsa.get("secret_key").is_none(), "{rsa}");
    assert_eq!(rsa["expires_at"], "2999-12-31T17:00:00Z");

    let rotated = json(p, cmd(&["key", "rotate", &access_key, "--grace", "1h"])).await;
    let new_key = rotated["access_key"].as_str().expect("new key").to_owned();
    assert_eq!(rotated["secret_key"].as_str().map(str::len), Some(40));
    let listed = json(p, cmd(&["key", "list", &id])).await;
    let old = listed["keys"]
        .as_array()
        .and_then(|k| k.iter().find(|k| k["access_key"] == access_key.as_str()))
        .cloned()
        .expect("old key");
    assert_eq!(old["replaced_by"], new_key.as_str());
    let revoked = text(p, cmd(&["key", "revoke", &new_key])).await;
    assert!(revoked.contains("revoked"), "{revoked}");
    let again = fails(p, cmd(&["key", "rotate", &new_key])).await;
    assert!(again.contains("was revoked"), "{again}");

    // Services and grants.
    let service = text(
        p,
        cmd(&["service", "set", "dan_cu", "--agency", "000.00.00.H01"]),
    )
    .await;
    assert!(
        service.contains("dan_cu") && service.contains("000.00.00.H01"),
        "{service}"
    );
    let access = platform(p).await.auth.access().clone();
    let mut ids = Vec::new();
    for purpose in ["Giải quyết thủ tục", "Thống kê", "Kiểm tra"] {
        let grant = access
            .request_grant(
                &id,
                lgsp_access::GrantRequest {
                    schema: "dan_cu".into(),
                    table: None,
                    columns: Vec::new(),
                    clear_columns: Vec::new(),
                    purpose: purpose.into(),
                    valid_from: day("2025-01-01").expect("date"),
                    valid_to: day("2030-12-31").expect("date"),
                },
            )
            .await
            .expect("requested");
        ids.push(grant.id);
    }
    let listed = json(p, cmd(&["grant", "list", "--status", "requested"])).await;
    assert_eq!(listed["grants"].as_array().map(Vec::len), Some(3));
    let broken = fails(
        p,
        cmd(&["grant", "approve", &ids[0], "--row-filter", "ma_tinh = )"]),
    )
    .await;
    assert!(broken.contains("not one SQL expression"), "{broken}");
    let approved = text(
        p,
        cmd(&[
            "grant",
            "approve",
            &ids[0],
            "--row-filter",
            "ma_tinh = '26'",
            "--by",
            "lan",
        ]),
    )
    .await;
    assert!(
        approved.contains("approved") && approved.contains("admin:lan"),
        "{approved}"
    );
    assert!(approved.contains("not its columns"), "{approved}");
    let stored = access.grant(&ids[0]).await.ok().flatten().expect("grant");
    assert_eq!(stored.row_filter.as_deref(), Some("ma_tinh = '26'"));
    let rejected = json(p, cmd(&["grant", "reject", &ids[1], "--reason", "Chưa rõ"])).await;
    assert_eq!(rejected["status"], "rejected");
    let revoked = json(p, cmd(&["grant", "revoke", &ids[0], "--reason", "Hết hạn"])).await;
    assert_eq!(revoked["status"], "revoked");
    let twice = fails(p, cmd(&["grant", "revoke", &ids[0], "--reason", "x"])).await;
    assert!(twice.contains("is revoked"), "{twice}");
    let table = text(
        p,
        cmd(&["grant", "list", "--consumer-agency", "000.00.00.H26"]),
    )
    .await;
    assert_eq!(table.lines().count(), 2 + 3, "{table}");
}

#[tokio::test]
async fn upstream_secrets_follow_the_master_key() {
    let d = dir();
    let first = text(&d.0, cmd(&["upstream-secret", "dan_cu"])).await;
    let again = text(&d.0, cmd(&["upstream-secret", "dan_cu"])).await;
    assert_eq!(first, again);
    assert_eq!(first.trim().len(), 64, "{first}");
    let other = text(&d.0, cmd(&["upstream-secret", "bhxh"])).await;
    assert_ne!(first, other);
    let expected = platform(&d.0).await.auth.upstream_secret("dan_cu");
    assert_eq!(first.trim(), expected);
}

#[tokio::test]
async fn credentials_profiles_are_written_for_clients() {
    let d = dir();
    let file = d.0.join("creds/credentials.toml");
    let file_arg = file.display().to_string();
    let out = text(
        &d.0,
        cmd(&[
            "credentials",
            "--access-key",
            "LGSPAAAAAAAAAAAAAAAA",
            "--secret-key",
            "s3cret",
            "--purpose",
            "Giải quyết thủ tục",
            "--destination",
            "dan_cu",
            "--destination",
            "bhxh.the_bhyt",
            "--profile",
            "tinh",
            "--file",
            &file_arg,
        ]),
    )
    .await;
    assert!(out.contains("[tinh]"), "{out}");
    let profile = crate::cli::credentials::load(&file, "tinh").expect("profile");
    assert_eq!(profile.secret_key.as_deref(), Some("s3cret"));
    assert_eq!(profile.server, "http://127.0.0.1:8080");
    assert_eq!(
        profile.destinations,
        vec!["dan_cu".to_owned(), "bhxh.the_bhyt".to_owned()]
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let wrong = fails(
        &d.0,
        cmd(&[
            "credentials",
            "--access-key",
            "LGSPA",
            "--secret-key",
            "s",
            "--algorithm",
            "LGSP-RSA-SHA256",
            "--file",
            &file_arg,
        ]),
    )
    .await;
    assert!(wrong.contains("rsa-private-key-file"), "{wrong}");
    assert!(parse(&["credentials", "--access-key", "LGSPA"]).is_err());
}

#[test]
fn arguments_parse_tiers_dates_and_grace_periods() {
    assert_eq!(tier("high").map(|t| t.0), Ok(lgsp_access::Tier::HIGH));
    assert_eq!(
        tier("300/min, 10000/day").map(|t| t.0),
        Ok(lgsp_access::Tier {
            per_minute: 300,
            per_day: Some(10000)
        })
    );
    assert!(tier("gold").is_err_and(|e| e.contains("standard")));
    assert!(tier("300").is_err());
    assert_eq!(grace("1d"), Ok(Duration::from_secs(86_400)));
    assert!(grace("soon").is_err());
    let end_of_day = chrono::Utc
        .with_ymd_and_hms(2026, 12, 31, 17, 0, 0)
        .single()
        .expect("time");
    assert_eq!(expiry("2026-12-31"), Ok(end_of_day));
    assert_eq!(expiry("2026-12-31T17:00:00Z"), Ok(end_of_day));
    assert!(expiry("31/12/2026").is_err());
    assert!(registry::check_row_filter_syntax("ma_tinh = '01' AND nam > 2000").is_ok());
    assert!(registry::check_row_filter_syntax("1) OR (TRUE").is_err());
    assert!(parse(&["agency", "split", "000.00.00.H30"]).is_err());
    assert!(matches!(
        cmd(&["key", "rotate", "LGSPAAAAAAAAAAAAAAAA"]),
        AdminCommand::Key(KeyCommand::Rotate { grace, .. }) if grace == Duration::from_secs(86_400)
    ));
}

#[test]
fn debug_output_hides_the_secret_key() {
    let c = cmd(&[
        "credentials",
        "--access-key",
        "LGSPA",
        "--secret-key",
        "do-not-print",
    ]);
    assert!(!format!("{c:?}").contains("do-not-print"));
}

/// The CLI's entries in the audit database next to `dir`'s platform
/// database: (action, code, detail) in order.
async fn cli_entries(
    dir: &Path,
) -> Vec<(String, String, std::collections::BTreeMap<String, String>)> {
    let pool = lgsp_audit::open(&dir.join("lgsp-audit.db"))
        .await
        .expect("audit database");
    lgsp_audit::entries(&pool, &lgsp_audit::EntryFilter::default())
        .await
        .expect("entries")
        .into_iter()
        .map(|v| v.entry.draft)
        .filter(|d| d.kind == lgsp_audit::Kind::Cli)
        .map(|d| (d.action, d.code, d.detail))
        .collect()
}

#[tokio::test]
async fn a_command_is_recorded_before_it_runs_and_not_run_if_it_cannot_be() {
    let d = dir();
    let p = &d.0;
    text(
        p,
        cmd(&["agency", "create", "000.00.00.H01", "--name", "Bộ Công an"]),
    )
    .await;
    let entries = cli_entries(p).await;
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(
        (entries[0].0.as_str(), entries[0].1.as_str()),
        ("admin agency create", "started")
    );
    assert_eq!(
        (entries[1].0.as_str(), entries[1].1.as_str()),
        ("admin agency create", "ok")
    );
    assert!(entries[1].2.contains_key("started_entry"), "{entries:?}");

    // An audit database that refuses every write (as a full disk would).
    let pool = lgsp_audit::open(&p.join("lgsp-audit.db"))
        .await
        .expect("audit database");
    sqlx::raw_sql(
        "CREATE TRIGGER refuse BEFORE INSERT ON audit_entries BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    )
    .execute(&pool)
    .await
    .expect("trigger");
    let refused = fails(
        p,
        cmd(&[
            "agency",
            "create",
            "000.00.00.H02",
            "--name",
            "Bộ Tài chính",
        ]),
    )
    .await;
    assert!(refused.contains("the command was not run"), "{refused}");
    assert!(refused.contains("disk full"), "{refused}");
    let agencies = platform(p)
        .await
        .auth
        .access()
        .agencies()
        .await
        .expect("agencies");
    let agencies = format!("{agencies:?}");
    assert!(agencies.contains("000.00.00.H01"), "{agencies}");
    assert!(!agencies.contains("000.00.00.H02"), "{agencies}");
}
