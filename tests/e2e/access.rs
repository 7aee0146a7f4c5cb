//! Applications made for one test: an agency, an application with a key, and
//! grants, registered directly in the running platform's registry; then a
//! signed client for it.

use crate::common::platform;
use chrono::{Duration, Utc};
use lgsp_access::{Actor, AgencyCode, Decision, GrantRequest, NewAgency, NewApplication, Tier};
use lgsp_auth::Credentials;
use lgsp_tests::SignedClient;
use std::sync::atomic::{AtomicU32, Ordering};

/// One grant to request and approve.
#[derive(Debug, Clone, Default)]
pub(crate) struct Want {
    pub(crate) schema: &'static str,
    pub(crate) table: Option<&'static str>,
    pub(crate) columns: Vec<&'static str>,
    pub(crate) clear: Vec<&'static str>,
    pub(crate) row_filter: Option<&'static str>,
}

/// A registered test application.
#[derive(Debug)]
pub(crate) struct TestApp {
    pub(crate) client: SignedClient,
    pub(crate) agency: AgencyCode,
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
}

/// A fresh consumer agency (a level-2 unit under UBND Quảng Ninh, so codes
/// never collide between tests) with one application, an HMAC key, and the
/// `wants` granted for `purpose`.
pub(crate) async fn app(wants: &[Want], purpose: &str, tier: Tier, legacy_sha1: bool) -> TestApp {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let access = platform().auth.access();
    let agency: AgencyCode = format!("000.00.{:02}.H49", n % 100)
        .parse()
        .expect("agency code");
    let agency = if access.agency(&agency).await.expect("registry").is_some() {
        // Codes run out after 99 tests; go one level deeper.
        format!("{:03}.00.{:02}.H49", n / 100, n % 100)
            .parse()
            .expect("agency code")
    } else {
        agency
    };
    access
        .create_agency(NewAgency {
            code: agency.clone(),
            name: format!("Đơn vị thử nghiệm {n}"),
            parent: None,
        })
        .await
        .expect("agency");
    let registered = lgsp_host::auth::sample::register_app(
        access,
        NewApplication {
            agency: agency.clone(),
            name: format!("Ứng dụng thử nghiệm {n}"),
            legacy_sha1,
            tier,
        },
    )
    .await
    .expect("application and key");
    let today = Utc::now().date_naive();
    for want in wants {
        let grant = access
            .request_grant(
                &registered.application,
                GrantRequest {
                    schema: want.schema.into(),
                    table: want.table.map(Into::into),
                    columns: want.columns.iter().map(|c| (*c).to_owned()).collect(),
                    clear_columns: want.clear.iter().map(|c| (*c).to_owned()).collect(),
                    purpose: purpose.into(),
                    valid_from: today - Duration::days(1),
                    valid_to: today + Duration::days(30),
                },
            )
            .await
            .expect("grant request");
        access
            .decide_grant(
                &grant.id,
                &Actor::Admin("test".into()),
                Decision::Approve {
                    row_filter: want.row_filter.map(Into::into),
                },
            )
            .await
            .expect("grant approval");
    }
    let mut destinations: Vec<String> = wants.iter().map(|w| w.schema.to_owned()).collect();
    destinations.dedup();
    let secret = registered.secret_key;
    let creds = if legacy_sha1 {
        Credentials::hmac_sha1(registered.access_key.clone(), &secret)
    } else {
        Credentials::hmac(registered.access_key.clone(), &secret)
    };
    TestApp {
        client: SignedClient::new(&platform().url, creds, purpose, destinations),
        agency,
        access_key: registered.access_key,
        secret_key: secret,
    }
}

/// The status and JSON body of a response.
pub(crate) async fn read(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// A tier no test reaches.
pub(crate) const UNLIMITED: Tier = Tier {
    per_minute: 1_000_000,
    per_day: None,
};
