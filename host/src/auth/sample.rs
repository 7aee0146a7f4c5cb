//! Sample agencies, applications, keys and grants for the demo and the
//! end-to-end tests: one provider agency per loaded service, a consumer agency
//! (UBND tỉnh Quảng Ninh, `000.00.00.H49`, the example of GUIDE §3) whose
//! application is granted every table, and one application per provider that
//! can approve grants and verify sessions. Provider codes are samples in the
//! QĐ 20/2020 form, not the ministries' real codes.

use crate::runtime::{PersonalData, Snapshot};
use chrono::{Duration, NaiveDate};
use lgsp_access::{
    AccessError, AccessStore, Actor, AgencyCode, Decision, GrantRequest, KeyMaterial, NewAgency,
    NewApplication, Tier,
};
use std::collections::BTreeMap;

/// The consumer agency of the samples.
pub const CONSUMER_AGENCY: &str = "000.00.00.H49";

/// Sample provider code and name for a service.
fn provider_of(schema: &str) -> (&'static str, &'static str) {
    match schema {
        "dan_cu" => (
            "000.00.00.G09",
            "Bộ Công an (mẫu): Cơ sở dữ liệu quốc gia về dân cư",
        ),
        "doanh_nghiep" => (
            "000.00.00.G10",
            "Bộ Tài chính (mẫu): Hệ thống thông tin quốc gia về đăng ký doanh nghiệp",
        ),
        "bhxh" => ("000.00.00.G12", "Bảo hiểm xã hội Việt Nam (mẫu)"),
        "dat_dai" => (
            "000.00.00.G13",
            "Bộ Nông nghiệp và Môi trường (mẫu): Cơ sở dữ liệu đất đai",
        ),
        _ => ("000.00.00.G99", "Đơn vị thử nghiệm (mẫu)"),
    }
}

/// Credentials of one sample application.
#[derive(Debug, Clone)]
pub struct SampleApp {
    /// Its agency's code.
    pub agency: String,
    /// Application id.
    pub application: String,
    /// Access key.
    pub access_key: String,
    /// Secret key (HMAC-SHA256).
    pub secret_key: String,
}

/// What [`provision`] created.
#[derive(Debug, Clone)]
pub struct SampleAccess {
    /// The consumer, granted every loaded table for `purpose`, identifiers
    /// and sensitive columns included.
    pub consumer: SampleApp,
    /// The purpose of its grants.
    pub purpose: String,
    /// One application per provider agency, by agency code.
    pub providers: BTreeMap<String, SampleApp>,
}

/// Registers `new` with an HMAC key.
///
/// # Errors
/// When the registry refuses either.
pub async fn register_app(
    access: &AccessStore,
    new: NewApplication,
) -> Result<SampleApp, AccessError> {
    let app = access.create_application(new).await?;
    let key = access.create_key(&app.id, KeyMaterial::Hmac, None).await?;
    Ok(SampleApp {
        agency: app.agency.to_string(),
        application: app.id,
        access_key: key.info.access_key,
        secret_key: key.secret_key.unwrap_or_default(),
    })
}

fn standard_app(agency: &AgencyCode, name: &str, tier: Tier) -> NewApplication {
    NewApplication {
        agency: agency.clone(),
        name: name.into(),
        legacy_sha1: false,
        tier,
    }
}

async fn ensure_agency(
    access: &AccessStore,
    code: &str,
    name: &str,
) -> Result<AgencyCode, AccessError> {
    let code: AgencyCode = code.parse()?;
    if access.agency(&code).await?.is_none() {
        access
            .create_agency(NewAgency {
                code: code.clone(),
                name: name.into(),
                parent: None,
            })
            .await?;
    }
    Ok(code)
}

/// Registers the sample agencies and applications, makes each provider the
/// owner of its services, and grants the consumer every table of every
/// loaded service for `purpose` from `today` for a year, approved by the
/// provider. `consumer_tier` sets the consumer's rate limit.
///
/// # Errors
/// When the registry refuses a step.
pub async fn provision(
    access: &AccessStore,
    snapshot: &Snapshot,
    purpose: &str,
    today: NaiveDate,
    consumer_tier: Tier,
) -> Result<SampleAccess, AccessError> {
    let mut providers = BTreeMap::new();
    for name in snapshot.connectors.keys() {
        let (code, agency_name) = provider_of(name);
        let code = ensure_agency(access, code, agency_name).await?;
        access.set_service_provider(name, &code).await?;
        if !providers.contains_key(code.as_str()) {
            let new = standard_app(&code, "Hệ thống nguồn (mẫu)", Tier::STANDARD);
            let app = register_app(access, new).await?;
            providers.insert(code.to_string(), app);
        }
    }
    let consumer_code = ensure_agency(access, CONSUMER_AGENCY, "UBND tỉnh Quảng Ninh").await?;
    let new = standard_app(
        &consumer_code,
        "Cổng dịch vụ công tỉnh (mẫu)",
        consumer_tier,
    );
    let consumer = register_app(access, new).await?;
    for (name, connector) in &snapshot.connectors {
        let provider: AgencyCode = provider_of(name).0.parse()?;
        for table in &connector.info().tables {
            let grant = access
                .request_grant(
                    &consumer.application,
                    GrantRequest {
                        schema: name.clone(),
                        table: Some(table.name.clone()),
                        columns: table.columns.iter().map(|c| c.name.clone()).collect(),
                        clear_columns: table
                            .columns
                            .iter()
                            .filter(|c| c.personal_data == PersonalData::Identifier)
                            .map(|c| c.name.clone())
                            .collect(),
                        purpose: purpose.into(),
                        valid_from: today,
                        valid_to: today + Duration::days(365),
                    },
                )
                .await?;
            access
                .decide_grant(
                    &grant.id,
                    &Actor::Agency(provider.clone()),
                    Decision::Approve { row_filter: None },
                )
                .await?;
        }
    }
    Ok(SampleAccess {
        consumer,
        purpose: purpose.into(),
        providers,
    })
}
