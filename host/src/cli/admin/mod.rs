//! `lgsp admin`: manage the registry directly in the platform database — the
//! first admin account, agencies, applications, keys, services, grants — and
//! write credentials profiles for clients.
//!
//! Like `lgsp catalog`, it opens the database file itself, so it works without
//! a running server, and it needs the same master key file as the server
//! (HMAC secrets are sealed with it). A running server sees every change at
//! its next request. [`args`] holds the command line, [`registry`] the
//! registry commands; tables are printed for people, `--json` prints the
//! admin API's documents for programs.

mod args;
mod registry;
#[cfg(test)]
mod tests;

pub use args::{
    AdminArgs, AdminCommand, AgencyCommand, AppCommand, CredentialsArgs, GrantCommand, KeyCommand,
    ServiceCommand, Switch, TierArg,
};

use crate::config::Config;
use crate::server::Platform;
use anyhow::{Context, bail};
use serde::Serialize;
use std::io::Write;

/// Where a command prints: tables and lines for people, or JSON.
pub(super) struct Out<'w> {
    json: bool,
    w: &'w mut (dyn Write + Send),
}

impl Out<'_> {
    /// Writes text; a pipe closed early (`| head`) ends the output quietly.
    fn text(&mut self, text: &str) -> anyhow::Result<()> {
        match self
            .w
            .write_all(text.as_bytes())
            .and_then(|()| self.w.flush())
        {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// Writes one line.
    fn line(&mut self, line: impl std::fmt::Display) -> anyhow::Result<()> {
        self.text(&format!("{line}\n"))
    }

    /// Writes `value` as pretty JSON.
    fn json(&mut self, value: &impl Serialize) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(value)?;
        self.line(text)
    }

    /// Writes an aligned table with a header and a rule.
    fn table(&mut self, header: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        let mut text = row_text(header.iter().copied(), &widths);
        text += &row_text(rule.iter().map(String::as_str), &widths);
        for row in rows {
            text += &row_text(row.iter().map(String::as_str), &widths);
        }
        self.text(&text)
    }

    /// Writes `label: value` lines with the values aligned.
    fn fields(&mut self, fields: &[(&str, String)]) -> anyhow::Result<()> {
        let width = fields
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0);
        let mut text = String::new();
        for (label, value) in fields {
            let pad = " ".repeat(width - label.chars().count());
            text += &format!("{label}:{pad}  {value}\n");
        }
        self.text(&text)
    }
}

/// One aligned line of a table.
fn row_text<'a>(cells: impl Iterator<Item = &'a str>, widths: &[usize]) -> String {
    let parts: Vec<String> = cells
        .zip(widths)
        .map(|(c, w)| format!("{c}{}", " ".repeat(w.saturating_sub(c.chars().count()))))
        .collect();
    format!("{}\n", parts.join("  ").trim_end())
}

/// Runs `lgsp admin ...`, printing to stdout.
///
/// # Errors
/// When the database or master key cannot be opened, or the operation is
/// refused (the message says why and what to do).
pub(super) async fn run(args: AdminArgs) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout();
    execute(args, &mut stdout, &read_password).await
}

/// Asks for a new admin's password, given the username and whether
/// `--password-stdin` was passed.
pub(super) type PasswordSource = dyn Fn(&str, bool) -> anyhow::Result<String> + Sync;

/// Runs a command, printing to `w`; `password` is asked when `init` needs
/// one.
pub(super) async fn execute(
    args: AdminArgs,
    w: &mut (dyn Write + Send),
    password: &PasswordSource,
) -> anyhow::Result<()> {
    let mut out = Out { json: args.json, w };
    if let AdminCommand::Credentials(c) = &args.command {
        return credentials(c, &mut out);
    }
    let platform = open(&args).await?;
    let started = std::time::Instant::now();
    let mut draft = lgsp_audit::Draft::new(
        chrono::Utc::now(),
        lgsp_audit::Kind::Cli,
        command_name(&args.command),
    );
    draft.actor.admin = Some(os_user());
    draft.resource.path = Some(format!("{:?}", args.command));
    // The command commits its own change; an entry written only afterwards
    // could be lost to a crash or a full disk in between. So the intent is
    // on disk first, and a command that cannot be recorded does not run.
    let mut intent = draft.clone();
    "started".clone_into(&mut intent.code);
    let intent_seq = platform.audit.record(intent).await.map_err(|e| {
        anyhow::anyhow!("the command was not run: its audit entry could not be written: {e}")
    })?;
    draft
        .detail
        .insert("started_entry".into(), intent_seq.to_string());
    let result = run_command(&platform, args.command, &mut out, password).await;
    draft.duration_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    if let Err(e) = &result {
        draft.outcome = lgsp_audit::Outcome::Failed;
        "cli_error".clone_into(&mut draft.code);
        draft.detail.insert("error".into(), format!("{e:#}"));
    }
    if let Err(e) = platform.audit.record(draft).await {
        anyhow::bail!(
            "{}; its audit entry could not be written: {e}",
            if result.is_ok() {
                "the command ran"
            } else {
                "the command failed"
            }
        );
    }
    result
}

/// `admin key rotate`: the command's words, for the audit entry.
fn command_name(command: &AdminCommand) -> String {
    let debug = format!("{command:?}");
    let words: Vec<&str> = debug
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(2)
        .filter(|w| w.starts_with(|c: char| c.is_ascii_uppercase()))
        .collect();
    format!("admin {}", words.join(" ").to_lowercase())
}

/// Who ran a command: the operating-system user, since the CLI works on the
/// database directly, without an admin session.
fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .map_or_else(|_| "unknown (cli)".into(), |u| format!("{u} (cli)"))
}

async fn run_command(
    platform: &crate::server::Platform,
    command: AdminCommand,
    out: &mut Out<'_>,
    password: &PasswordSource,
) -> anyhow::Result<()> {
    match command {
        AdminCommand::Init {
            username,
            password_stdin,
        } => {
            init(
                platform,
                &username,
                || password(&username, password_stdin),
                out,
            )
            .await
        }
        AdminCommand::Agency(c) => registry::agency(platform, c, out).await,
        AdminCommand::App(c) => registry::app(platform, c, out).await,
        AdminCommand::Key(c) => registry::key(platform, c, out).await,
        AdminCommand::Service(c) => registry::service(platform, c, out).await,
        AdminCommand::Grant(c) => registry::grant(platform, c, out).await,
        AdminCommand::UpstreamSecret { connector } => upstream_secret(platform, &connector, out),
        AdminCommand::Credentials(_) => Ok(()),
    }
}

/// Opens the platform database and master key named by the flags and the
/// configuration file.
async fn open(args: &AdminArgs) -> anyhow::Result<Platform> {
    let config = args.place.config(Config::default())?;
    crate::server::open_platform(&config)
        .await
        .with_context(|| {
            format!(
                "opening the platform database {} with the master key {}",
                config.database().display(),
                config.master_key_file().display()
            )
        })
}

/// A password policy refusal, one unmet rule per line.
fn weak_password(e: &lgsp_access::PasswordPolicyError) -> anyhow::Error {
    let rules: Vec<String> = e.unmet.iter().map(|r| format!("  - {r}")).collect();
    anyhow::anyhow!(
        "the password does not meet the policy; it needs:\n{}",
        rules.join("\n")
    )
}

/// `init`: the first admin account, only while there is none.
async fn init(
    platform: &Platform,
    username: &str,
    password: impl FnOnce() -> anyhow::Result<String>,
    out: &mut Out<'_>,
) -> anyhow::Result<()> {
    let access = platform.auth.access();
    if access.admin_count().await? > 0 {
        bail!(
            "an administrator account already exists; `lgsp admin init` creates only the first \
             one. Log in (POST /v1/admin/login) and create others with POST /v1/admin/admins"
        );
    }
    let password = password()?;
    lgsp_access::check_password(&password).map_err(|e| weak_password(&e))?;
    let admin = access
        .create_admin(username, &password)
        .await
        .map_err(|e| match e {
            lgsp_access::AccessError::WeakPassword(p) => weak_password(&p),
            other => anyhow::Error::new(other),
        })?;
    if out.json {
        return out.json(&crate::api::AdminDoc::from(admin));
    }
    out.line(format_args!(
        "created administrator {}; log in with POST /v1/admin/login",
        admin.username
    ))
}

/// Reads a new admin's password: the first line of stdin with
/// `--password-stdin`, else prompted twice without echo.
fn read_password(username: &str, from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.trim_end_matches(['\n', '\r']).to_owned();
        if password.is_empty() {
            bail!("standard input held no password");
        }
        return Ok(password);
    }
    let prompt = |text: &str| {
        rpassword::prompt_password(text)
            .context("cannot read a password from the terminal; pipe it in with --password-stdin")
    };
    let first = prompt(&format!("Password for {username}: "))?;
    lgsp_access::check_password(&first).map_err(|e| weak_password(&e))?;
    let second = prompt("Repeat the password: ")?;
    if first != second {
        bail!("the two passwords differ; nothing was created");
    }
    Ok(first)
}

/// `upstream-secret`: the secret alone on stdout (for scripts), the advice on
/// stderr.
fn upstream_secret(platform: &Platform, connector: &str, out: &mut Out<'_>) -> anyhow::Result<()> {
    let secret = platform.auth.upstream_secret(connector);
    if out.json {
        return out.json(&serde_json::json!({ "connector": connector, "secret": secret }));
    }
    eprintln!(
        "Configure this on the system behind connector {connector} to check x-lgsp-signature \
         (LGSP-UPSTREAM-HMAC-SHA256). Keep it secret: whoever holds it can sign as the platform."
    );
    out.line(secret)
}

/// `credentials`: writes a profile for `lgsp query` and other clients.
fn credentials(c: &CredentialsArgs, out: &mut Out<'_>) -> anyhow::Result<()> {
    let algorithm = match c.algorithm.as_deref() {
        None => None,
        Some(name) => Some(lgsp_auth::Algorithm::from_name(name).with_context(|| {
            format!("algorithm {name:?}: use LGSP-HMAC-SHA256, LGSP-HMAC-SHA1 or LGSP-RSA-SHA256")
        })?),
    };
    let rsa = c.rsa_private_key_file.is_some();
    match algorithm {
        Some(lgsp_auth::Algorithm::RsaSha256) if !rsa => {
            bail!("LGSP-RSA-SHA256 signs with --rsa-private-key-file, not a secret key")
        }
        Some(lgsp_auth::Algorithm::HmacSha256 | lgsp_auth::Algorithm::HmacSha1) if rsa => {
            bail!("HMAC algorithms sign with --secret-key, not an RSA private key")
        }
        _ => {}
    }
    if let Some(file) = &c.rsa_private_key_file {
        let pem = std::fs::read_to_string(file)
            .with_context(|| format!("reading the RSA private key {}", file.display()))?;
        lgsp_auth::Credentials::rsa(&c.access_key, &pem)
            .map_err(|e| anyhow::anyhow!("the RSA private key {}: {e}", file.display()))?;
    }
    if c.secret_key.as_deref().is_some_and(|s| s.trim().is_empty()) {
        bail!("the secret key is empty");
    }
    let profile = super::credentials::Profile {
        server: c.server.trim_end_matches('/').to_owned(),
        access_key: c.access_key.clone(),
        secret_key: c.secret_key.clone(),
        rsa_private_key_file: c.rsa_private_key_file.clone(),
        algorithm: algorithm.map(|a| a.name().to_owned()),
        purpose: c.purpose.clone(),
        destinations: c.destinations.clone(),
    };
    let path = c
        .file
        .clone()
        .unwrap_or_else(super::credentials::default_path);
    super::credentials::save(&path, &c.profile, &profile)?;
    if out.json {
        return out.json(&serde_json::json!({
            "file": path.display().to_string(),
            "profile": c.profile,
        }));
    }
    out.line(format_args!(
        "wrote profile [{}] to {} (readable by its owner only)",
        c.profile,
        path.display()
    ))
}
