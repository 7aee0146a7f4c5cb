//! The signed HTTP client of the commands that talk to a running platform
//! (`lgsp query`, `lgsp connector`): a credentials profile, the key it signs
//! with, and refusals turned into messages that carry the platform's code
//! and request id.

use super::credentials::Profile;
use anyhow::Context;
use lgsp_auth::Credentials;
use std::path::PathBuf;

/// Which profile signs, and against which platform.
#[derive(Debug, Clone, clap::Args)]
pub struct ProfileArgs {
    /// Credentials file (`lgsp admin credentials` writes one; the demo
    /// prints its path) [default: $LGSP_CREDENTIALS, else
    /// ~/.config/lgsp/credentials.toml].
    #[arg(long)]
    pub credentials: Option<PathBuf>,
    /// Profile in the credentials file.
    #[arg(long, env = "LGSP_PROFILE", default_value = "default")]
    pub profile: String,
    /// Base URL of the platform [default: the profile's `server`].
    #[arg(long, env = "LGSP_SERVER")]
    pub server: Option<String>,
}

/// The key a profile signs requests with.
fn signing_credentials(p: &Profile) -> anyhow::Result<Credentials> {
    let algorithm = match p.algorithm.as_deref() {
        None => None,
        Some(name) => Some(lgsp_auth::Algorithm::from_name(name).with_context(|| {
            format!("algorithm {name:?}: use LGSP-HMAC-SHA256, LGSP-HMAC-SHA1 or LGSP-RSA-SHA256")
        })?),
    };
    match (&p.secret_key, &p.rsa_private_key_file) {
        (Some(secret), None) => Ok(match algorithm {
            Some(lgsp_auth::Algorithm::HmacSha1) => Credentials::hmac_sha1(&p.access_key, secret),
            _ => Credentials::hmac(&p.access_key, secret),
        }),
        (None, Some(file)) => {
            let pem = std::fs::read_to_string(file)
                .with_context(|| format!("reading the RSA private key {}", file.display()))?;
            Credentials::rsa(&p.access_key, &pem)
                .map_err(|e| anyhow::anyhow!("the RSA private key {}: {e}", file.display()))
        }
        _ => anyhow::bail!("the profile needs exactly one of secret_key and rsa_private_key_file"),
    }
}

/// Signed requests to the platform on behalf of one profile.
pub(crate) struct Client {
    http: reqwest::Client,
    server: String,
    creds: Credentials,
    profile: Profile,
}

impl Client {
    /// The client of the profile `args` name.
    ///
    /// # Errors
    /// When the credentials file or the profile's key cannot be read.
    pub(crate) fn from_args(args: &ProfileArgs) -> anyhow::Result<Self> {
        let path = args
            .credentials
            .clone()
            .unwrap_or_else(super::credentials::default_path);
        let profile = super::credentials::load(&path, &args.profile).with_context(|| {
            format!(
                "reading profile {} of {} (write one with `lgsp admin credentials`, or use the file `lgsp demo` prints)",
                args.profile,
                path.display()
            )
        })?;
        let creds = signing_credentials(&profile)?;
        let server = args
            .server
            .clone()
            .unwrap_or_else(|| profile.server.clone())
            .trim_end_matches('/')
            .to_owned();
        // No overall timeout: results stream for as long as the platform's
        // own query limit allows, and uploads can be large.
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(10))
            .build()
            .context("starting the HTTP client")?;
        Ok(Self {
            http,
            server,
            creds,
            profile,
        })
    }

    /// The profile it signs for.
    pub(crate) fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Sends `method path` with a JSON `body` (none for reads), signed, with
    /// `extra` headers.
    ///
    /// # Errors
    /// When the request cannot be signed or the platform cannot be reached.
    pub(crate) async fn send(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<reqwest::Response> {
        let body = match body {
            Some(b) => serde_json::to_vec(b)?,
            None => Vec::new(),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        if !body.is_empty() {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static("application/json"),
            );
        }
        for (name, value) in extra {
            headers.insert(
                reqwest::header::HeaderName::from_bytes(name.as_bytes())?,
                reqwest::header::HeaderValue::from_bytes(value.as_bytes())?,
            );
        }
        lgsp_auth::sign_request(
            &self.creds,
            method,
            path,
            &mut headers,
            &body,
            chrono::Utc::now(),
            &lgsp_auth::new_nonce(),
        )
        .context("signing the request")?;
        let method = reqwest::Method::from_bytes(method.as_bytes())?;
        self.http
            .request(method, format!("{}{path}", self.server))
            .headers(headers)
            .body(body)
            .send()
            .await
            .with_context(|| {
                format!(
                    "cannot reach the platform at {}; is `lgsp serve` or `lgsp demo` running?",
                    self.server
                )
            })
    }

    /// Sends the request and reads a JSON answer.
    ///
    /// # Errors
    /// As [`Self::send`], and the platform's refusal with its reasons.
    pub(crate) async fn json(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> anyhow::Result<serde_json::Value> {
        let response = self.send(method, path, &[], body).await?;
        if !response.status().is_success() {
            return Err(refusal(response).await);
        }
        if response.status() == reqwest::StatusCode::NO_CONTENT {
            return Ok(serde_json::Value::Null);
        }
        response
            .json()
            .await
            .with_context(|| format!("reading the answer to {path}"))
    }
}

/// Turns an error answer into a message with its code, request id and,
/// when the platform gives them, every reason.
pub(crate) async fn refusal(response: reqwest::Response) -> anyhow::Error {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(v) => {
            let mut message = format!(
                "{} [{}] (HTTP {}, request {})",
                v["message"].as_str().unwrap_or("unknown error"),
                v["code"].as_str().unwrap_or("?"),
                status.as_u16(),
                v["request_id"].as_str().unwrap_or("?")
            );
            for reason in v["reasons"].as_array().into_iter().flatten() {
                message.push_str("\n  - ");
                message.push_str(reason.as_str().unwrap_or_default());
            }
            anyhow::anyhow!(message)
        }
        Err(_) => anyhow::anyhow!("HTTP {status}: {text}"),
    }
}
