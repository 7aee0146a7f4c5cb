//! Publishing as a provider agency does it, for the publishing tests and the
//! publishing benchmark: the `thu_nghiem` test connector in three versions,
//! an application with an HMAC key (to sign requests) and an RSA key (to
//! sign components), signed uploads, and a consumer granted its table.

use crate::{Call, Platform, SignedClient, wasm_dir};
use base64::Engine as _;
use serde_json::{Value, json};

/// The test connector's name (schema).
pub const NAME: &str = "thu_nghiem";

/// The purpose of the consumer's grant on it.
pub const PURPOSE: &str = "kiểm thử xuất bản";

const RSA_PRIVATE: &str = lgsp_auth::vectors::TEST_RSA_PRIVATE_KEY_PEM;

/// The test connector built as `version` (1.0.0, 1.1.0 or 2.0.0).
///
/// # Panics
/// When it was not built (`scripts/build-wasm.sh`).
pub fn component(version: &str) -> Vec<u8> {
    std::fs::read(wasm_dir().join(format!("lgsp_test_evolving-{version}.wasm"))).expect("component")
}

/// SHA-256 of `bytes`, hex.
pub fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The smallest manifest publishing `version` of [`NAME`].
pub fn manifest(version: &str) -> String {
    format!("name = \"{NAME}\"\nversion = \"{version}\"\n")
}

/// A provider agency's application with its HMAC key (to sign requests)
/// and an RSA key (to sign components).
#[derive(Debug)]
pub struct Publisher {
    /// The agency's code.
    pub agency: String,
    /// Signs requests as the agency's application.
    pub client: SignedClient,
    /// Access key of the registered RSA key that signs components.
    pub rsa_key: String,
}

/// The sample application of provider `agency`, with an RSA key registered.
///
/// # Panics
/// When the registry refuses the key.
pub async fn publisher(platform: &Platform, agency: &str) -> Publisher {
    let app = &platform.sample.providers[agency];
    let rsa = platform
        .auth
        .access()
        .create_key(
            &app.application,
            lgsp_access::KeyMaterial::Rsa {
                public_key_pem: lgsp_auth::vectors::TEST_RSA_PUBLIC_KEY_PEM.into(),
            },
            None,
        )
        .await
        .expect("RSA key registered");
    Publisher {
        agency: agency.to_owned(),
        client: SignedClient::new(
            &platform.url,
            lgsp_auth::Credentials::hmac(app.access_key.clone(), &app.secret_key),
            "",
            vec![],
        ),
        rsa_key: rsa.info.access_key,
    }
}

/// The first sample provider agency's code.
///
/// # Panics
/// When the platform has none.
pub fn first_provider(platform: &Platform) -> String {
    platform
        .sample
        .providers
        .keys()
        .next()
        .expect("a provider")
        .clone()
}

/// The detached signature of `wasm` as `name` `version`, by RSA key `key`.
///
/// # Panics
/// When the test key does not sign.
pub fn sign(key: &str, name: &str, version: &str, wasm: &[u8]) -> Value {
    let signing = lgsp_auth::SigningKey::rsa_from_pem(RSA_PRIVATE).expect("key");
    let value = lgsp_auth::sign_connector(&signing, name, version, &sha256(wasm)).expect("signs");
    json!({ "key": key, "value": value })
}

/// `POST /v1/connectors`.
pub async fn upload(p: &Publisher, manifest: &str, wasm: &[u8], signature: Value) -> (u16, Value) {
    let body = json!({
        "manifest": manifest,
        "component": base64::engine::general_purpose::STANDARD.encode(wasm),
        "signature": signature,
    });
    send(&p.client, "POST", "/v1/connectors", Some(body)).await
}

/// Publishes `version` of [`NAME`], correctly signed.
pub async fn publish(p: &Publisher, version: &str) -> (u16, Value) {
    let wasm = component(version);
    let signature = sign(&p.rsa_key, NAME, version, &wasm);
    upload(p, &manifest(version), &wasm, signature).await
}

/// A signed request; the status and the JSON answer (or its text).
///
/// # Panics
/// When the answer cannot be read.
pub async fn send(
    client: &SignedClient,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let r = client
        .send(Call {
            method,
            path,
            body,
            ..Call::default()
        })
        .await;
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Grants the platform's sample consumer [`NAME`]`.ho_so` (`columns`, all
/// when empty) for [`PURPOSE`], approved by `provider`; returns the grant id
/// and a client whose sessions reach the connector.
///
/// # Panics
/// When the registry refuses.
pub async fn grant_consumer(
    platform: &Platform,
    provider: &str,
    columns: &[&str],
) -> (String, SignedClient) {
    let access = platform.auth.access();
    let today = chrono::Utc::now().date_naive();
    let grant = access
        .request_grant(
            &platform.sample.consumer.application,
            lgsp_access::GrantRequest {
                schema: NAME.into(),
                table: Some("ho_so".into()),
                columns: columns.iter().map(|c| (*c).to_owned()).collect(),
                clear_columns: vec![],
                purpose: PURPOSE.into(),
                valid_from: today,
                valid_to: today + chrono::Days::new(3650),
            },
        )
        .await
        .expect("grant requested");
    access
        .decide_grant(
            &grant.id,
            &lgsp_access::Actor::Agency(provider.parse().expect("code")),
            lgsp_access::Decision::Approve { row_filter: None },
        )
        .await
        .expect("grant approved");
    let client = SignedClient::new(
        &platform.url,
        platform.consumer_credentials(),
        PURPOSE,
        vec![NAME.into()],
    );
    (grant.id, client)
}

/// Runs `sql` as `client` (JSON answer): the status and the body.
///
/// # Panics
/// When the answer is not JSON.
pub async fn rows(client: &SignedClient, sql: &str) -> (u16, Value) {
    let r = client.query(sql, "application/json").await;
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

/// The text values of column `name` in a JSON answer's rows.
pub fn column(body: &Value, name: &str) -> Vec<String> {
    body["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| r[name].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
