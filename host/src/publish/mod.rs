//! Agencies publish connectors themselves: signed uploads checked before
//! they are accepted, several versions alive at once (`name` serves the
//! newest major, `name@major` pins one), retirement announced ahead and
//! carried out on its date, rollback, the administrator's kill switch, and
//! configuration stored sealed and swapped in without a restart.
//!
//! Every change builds a new registry snapshot and swaps it in one step:
//! requests already running keep the `Arc`s of the versions they started
//! on, new ones see the new set, so nothing in flight is dropped.

mod seal;
mod store;

pub use store::{VersionRow, VersionStatus};

use crate::audit::Auditor;
use crate::auth::AuthService;
use crate::auth::local_today as today;
use crate::runtime::{
    LoadFailure, LoadedConnector, Manifest, PublishedVersion, Registry, Runtime, Snapshot,
    columns_of,
};
use chrono::{DateTime, Days, NaiveDate, Utc};
use lgsp_access::{GrantFilter, GrantStatus, KeyLookupError};
use lgsp_audit::{Draft, Kind, Outcome, ServiceRef};
use seal::ConfigSealer;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use store::{NewNotice, Store};

/// How far ahead a retirement must be announced (GUIDE §2).
pub const MIN_NOTICE_DAYS: u64 = 60;
/// How long an old major keeps serving after its successor is published.
pub const MIN_OVERLAP_DAYS: u64 = 180;

/// Why a publishing operation failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The upload was refused; every problem found is listed.
    #[error("connector {name} was not accepted: {}", problems.join("; "))]
    Rejected {
        /// The connector's name as the manifest gives it.
        name: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// That version was published already.
    #[error("{name} {version} is published already; publish a higher version")]
    VersionExists {
        /// Connector.
        name: String,
        /// Version.
        version: String,
    },
    /// No such connector or version.
    #[error("{0}")]
    NotFound(String),
    /// The caller may not do this.
    #[error("{0}")]
    NotAllowed(String),
    /// The request conflicts with the connector's state.
    #[error("{0}")]
    Conflict(String),
    /// The request breaks a rule (a date too early, a blank reason).
    #[error("{0}")]
    Invalid(String),
    /// The registry failed.
    #[error(transparent)]
    Access(#[from] lgsp_access::AccessError),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored data is unreadable.
    #[error("stored connector data is corrupt: {0}")]
    Corrupt(String),
}

/// A signed upload.
#[derive(Debug, Clone)]
pub struct Upload {
    /// The manifest (TOML), without `[config]`.
    pub manifest: String,
    /// The component.
    pub component: Vec<u8>,
    /// Access key of the RSA key that signed.
    pub signer_key: String,
    /// Signature (base64) over `lgsp_auth::connector_message`.
    pub signature: String,
}

/// Who asks for a change.
#[derive(Debug, Clone)]
pub enum Requester {
    /// An application of an agency (signed request).
    Agency {
        /// The agency.
        code: String,
        /// The application.
        application: String,
    },
    /// A platform administrator.
    Admin(String),
}

impl Requester {
    fn actor(&self) -> String {
        match self {
            Self::Agency { code, .. } => format!("agency:{code}"),
            Self::Admin(user) => format!("admin:{user}"),
        }
    }

    fn may_manage(&self, provider: &str) -> bool {
        match self {
            Self::Admin(_) => true,
            Self::Agency { code, .. } => code == provider,
        }
    }
}

/// A configuration key as the API shows it: never its value.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SettingDoc {
    /// The key the connector reads with `config("key")`.
    pub key: String,
    /// Whether it was given as a secret.
    pub secret: bool,
    /// When it was last set (RFC 3339).
    pub updated_at: String,
    /// Who set it.
    pub updated_by: String,
}

/// A notice to an agency.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct NoticeDoc {
    /// Sequence number.
    pub id: i64,
    /// Connector.
    pub connector: String,
    /// Version concerned.
    pub version: String,
    /// `new_major`, `retirement_scheduled`, `retired`, `reapproval_needed`.
    pub kind: String,
    /// What it means for the reader.
    pub message: String,
    /// The date it takes effect, if any.
    pub effective: Option<String>,
    /// When it was written (RFC 3339).
    pub created_at: String,
}

/// The changes to a connector's configuration.
#[derive(Debug, Clone, Default)]
pub struct ConfigChange {
    /// Plain values to set.
    pub values: BTreeMap<String, String>,
    /// Secret values to set (credentials).
    pub secrets: BTreeMap<String, String>,
    /// Keys to remove.
    pub remove: Vec<String>,
}

/// What is loaded now, besides the database.
#[derive(Debug, Default)]
struct Live {
    /// Published versions being served, by (name, version).
    loaded: HashMap<(String, semver::Version), Arc<LoadedConnector>>,
    /// Connectors installed from the operator's directory.
    installed: BTreeMap<String, Arc<LoadedConnector>>,
    /// Their manifests' `[config]`, under the stored values.
    installed_config: HashMap<String, BTreeMap<String, String>>,
    /// What failed to load from the directory.
    install_failures: Vec<LoadFailure>,
}

/// Publishing, versions and the connector lifecycle.
#[derive(Debug)]
pub struct ConnectorService {
    runtime: Arc<Runtime>,
    registry: Arc<Registry>,
    auth: Arc<AuthService>,
    audit: Arc<Auditor>,
    store: Store,
    sealer: ConfigSealer,
    /// Changes run one at a time; readers never wait on it.
    live: tokio::sync::Mutex<Live>,
}

impl ConnectorService {
    /// Opens the publishing tables, applies the stored configuration and
    /// suspensions to the `installed` connectors, loads every serving
    /// published version and swaps the result into `registry`.
    ///
    /// # Errors
    /// When the tables cannot be opened or read.
    pub async fn start(
        runtime: Arc<Runtime>,
        registry: Arc<Registry>,
        auth: Arc<AuthService>,
        audit: Arc<Auditor>,
        outbox: crate::monitor::Outbox,
        installed: Snapshot,
        installed_config: HashMap<String, BTreeMap<String, String>>,
    ) -> Result<Self, PublishError> {
        let store = Store::open(auth.access().pool().clone(), outbox).await?;
        let sealer = ConfigSealer::new(auth.master());
        let service = Self {
            runtime,
            registry,
            auth,
            audit,
            store,
            sealer,
            live: tokio::sync::Mutex::default(),
        };
        for name in service.store.suspensions().await? {
            service.runtime.kill_switch(&name).set(true);
        }
        let mut live = service.live.lock().await;
        for (name, connector) in installed.connectors {
            let base = installed_config.get(&name).cloned().unwrap_or_default();
            let stored = service.stored_config(&name).await?;
            let connector = if stored.is_empty() {
                connector
            } else {
                let mut values = base;
                values.extend(stored);
                Arc::new(connector.with_config(values))
            };
            live.installed.insert(name, connector);
        }
        live.installed_config = installed_config;
        live.install_failures = installed.failures;
        service.refresh(&mut live).await?;
        drop(live);
        Ok(service)
    }

    /// The stored configuration of `name`, opened.
    async fn stored_config(&self, name: &str) -> Result<BTreeMap<String, String>, PublishError> {
        self.store
            .settings(name)
            .await?
            .into_iter()
            .map(|s| Ok((s.key.clone(), self.sealer.open(name, &s.key, &s.sealed)?)))
            .collect()
    }

    /// Every published version, oldest first per connector.
    ///
    /// # Errors
    /// Database failures.
    pub async fn versions(&self) -> Result<Vec<VersionRow>, PublishError> {
        self.store.versions().await
    }

    /// Rebuilds the snapshot from the database and what is loaded, loading
    /// serving versions not loaded yet, and swaps it in.
    async fn refresh(&self, live: &mut Live) -> Result<(), PublishError> {
        let rows = self.store.versions().await?;
        let mut snapshot = Snapshot {
            connectors: live.installed.clone(),
            failures: live.install_failures.clone(),
            ..Snapshot::default()
        };
        let mut by_name: BTreeMap<&str, Vec<&VersionRow>> = BTreeMap::new();
        for row in &rows {
            by_name.entry(&row.name).or_default().push(row);
        }
        let mut loaded = HashMap::new();
        for (name, versions) in by_name {
            let mut history = Vec::new();
            for v in &versions {
                let columns = serde_json::from_str(&v.columns).map_err(|e| {
                    PublishError::Corrupt(format!("{name} {}: columns: {e}", v.version))
                })?;
                history.push(PublishedVersion {
                    version: v.version.clone(),
                    published_at: v.published_at,
                    columns: Arc::new(columns),
                });
            }
            snapshot.history.insert(name.to_owned(), history);
            // The newest active version of each major serves.
            let mut serving: BTreeMap<u64, &VersionRow> = BTreeMap::new();
            for v in versions
                .iter()
                .filter(|v| v.status == VersionStatus::Active)
            {
                let slot = serving.entry(v.version.major).or_insert(v);
                if v.version > slot.version {
                    *slot = v;
                }
            }
            for (major, row) in &serving {
                let key = (name.to_owned(), row.version.clone());
                let connector = match live.loaded.get(&key) {
                    Some(c) => c.clone(),
                    None => match self.load_row(row).await {
                        Ok(c) => Arc::new(c),
                        Err(error) => {
                            tracing::error!(connector = name, version = %row.version, %error, "published version not loaded");
                            snapshot.failures.push(LoadFailure {
                                name: format!("{name}@{}", row.version),
                                error: error.to_string(),
                            });
                            continue;
                        }
                    },
                };
                snapshot
                    .pinned
                    .insert(format!("{name}@{major}"), connector.clone());
                // Majors ascend, so the last one loaded is the default.
                snapshot
                    .connectors
                    .insert(name.to_owned(), connector.clone());
                loaded.insert(key, connector);
            }
        }
        for (grant, version) in self.store.bindings().await? {
            if let Ok(v) = semver::Version::parse(&version) {
                snapshot.bindings.insert(grant, v);
            }
        }
        live.loaded = loaded;
        self.registry.replace(snapshot);
        Ok(())
    }

    /// Loads a stored version with the stored configuration.
    async fn load_row(&self, row: &VersionRow) -> Result<LoadedConnector, PublishError> {
        let manifest = parse_manifest(&row.manifest).map_err(PublishError::Corrupt)?;
        let wasm = self.store.component(&row.sha256).await?;
        let config = self.stored_config(&row.name).await?;
        self.runtime
            .load_component(&manifest, wasm, &config)
            .await
            .map_err(|e| PublishError::Corrupt(e.to_string()))
    }

    /// Checks an upload and, when every check passes, stores it and starts
    /// serving it. Requests in flight keep the version they started on.
    ///
    /// # Errors
    /// `Rejected` with every problem found; `VersionExists`; database failures.
    pub async fn publish(
        &self,
        upload: Upload,
        publisher: &Requester,
        now: DateTime<Utc>,
    ) -> Result<VersionRow, PublishError> {
        let sha256 = crate::runtime::sha256_hex(&upload.component);
        let result = self.try_publish(&upload, &sha256, publisher, now).await;
        match &result {
            Ok(row) => {
                let mut draft =
                    self.draft(now, "connector published", &row.name, Some(&row.provider));
                draft
                    .detail
                    .insert("version".into(), row.version.to_string());
                draft.detail.insert("sha256".into(), row.sha256.clone());
                draft
                    .detail
                    .insert("signer_key".into(), row.signer_key.clone());
                draft
                    .detail
                    .insert("size_bytes".into(), row.size_bytes.to_string());
                draft.actor.application = Some(row.published_by.clone());
                self.audit
                    .record(draft)
                    .await
                    .map_err(|e| PublishError::Corrupt(e.to_string()))?;
            }
            Err(e) => {
                let name = match e {
                    PublishError::Rejected { name, .. } => name.clone(),
                    _ => String::new(),
                };
                let mut draft = self.draft(now, "connector publish refused", &name, None);
                draft.outcome = Outcome::Failed;
                "connector_rejected".clone_into(&mut draft.code);
                draft.detail.insert("sha256".into(), sha256.clone());
                draft
                    .detail
                    .insert("signer_key".into(), upload.signer_key.clone());
                draft.detail.insert("error".into(), e.to_string());
                self.audit.record_event(draft);
            }
        }
        result
    }

    async fn try_publish(
        &self,
        upload: &Upload,
        sha256: &str,
        publisher: &Requester,
        now: DateTime<Utc>,
    ) -> Result<VersionRow, PublishError> {
        let Requester::Agency {
            code: agency,
            application,
        } = publisher
        else {
            return Err(PublishError::NotAllowed(
                "connectors are published by their provider agency, through a signed request"
                    .into(),
            ));
        };
        let mut problems = Vec::new();
        let mut manifest = match parse_manifest(&upload.manifest) {
            Ok(m) => m,
            Err(p) => {
                return Err(PublishError::Rejected {
                    name: String::new(),
                    problems: vec![p],
                });
            }
        };
        let name = manifest.name.clone();
        let version = match manifest.version.as_deref().map(semver::Version::parse) {
            None => {
                problems.push(
                    "the manifest must give the version being published (version = \"1.0.0\")"
                        .into(),
                );
                None
            }
            Some(Err(e)) => {
                problems.push(format!(
                    "version {:?} is not a semantic version (MAJOR.MINOR.PATCH): {e}",
                    manifest.version.as_deref().unwrap_or_default()
                ));
                None
            }
            Some(Ok(v)) => Some(v),
        };
        match manifest.provider.as_deref() {
            None => manifest.provider = Some(agency.clone()),
            Some(p) if p == agency => {}
            Some(p) => problems.push(format!(
                "the manifest names provider {p}, but the upload comes from agency {agency}: an agency publishes only under its own name"
            )),
        }
        if !manifest.config.is_empty() {
            problems.push(
                "the manifest has a [config] section; configuration and credentials are set with PUT /v1/connectors/{name}/config, where they are stored encrypted".into(),
            );
        }
        if name == crate::query::CATALOG_SCHEMA {
            problems.push(format!(
                "the schema name {name} is reserved for the shared catalogs"
            ));
        }
        // Held to the end: publications, like every change, run one at a time.
        let mut live = self.live.lock().await;
        if live.installed.contains_key(&name) {
            problems.push(format!(
                "{name} is installed by the operator from the connectors directory; it cannot also be published"
            ));
        }
        let existing: Vec<VersionRow> = self
            .store
            .versions()
            .await?
            .into_iter()
            .filter(|v| v.name == name)
            .collect();
        if let Some(other) = existing.iter().find(|v| v.provider != *agency) {
            problems.push(format!(
                "{name} is published by agency {}; only it can publish new versions",
                other.provider
            ));
        }
        if let Some(v) = &version {
            if existing.iter().any(|e| e.version == *v) {
                return Err(PublishError::VersionExists {
                    name,
                    version: v.to_string(),
                });
            }
            if let Some(newer) = existing
                .iter()
                .filter(|e| e.version.major == v.major && e.version > *v)
                .map(|e| &e.version)
                .max()
            {
                problems.push(format!(
                    "{name} {newer} is published already; a new {}.x version must be higher",
                    v.major
                ));
            }
        }
        problems.extend(
            self.check_signer(
                upload,
                agency,
                &name,
                manifest.version.as_deref().unwrap_or_default(),
                sha256,
                now,
            )
            .await,
        );

        // Code whose signature or publisher does not check out is compiled
        // and inspected, never run.
        let loaded = if problems.is_empty() {
            let config = self.stored_config(&name).await?;
            match self
                .runtime
                .load_component(&manifest, upload.component.clone(), &config)
                .await
            {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.extend(e.problems);
                    None
                }
            }
        } else {
            problems.extend(self.runtime.inspect(upload.component.clone()).await);
            None
        };
        let (Some(loaded), Some(version), true) = (loaded, version, problems.is_empty()) else {
            return Err(PublishError::Rejected { name, problems });
        };
        let columns = serde_json::to_string(&columns_of(loaded.info()))
            .map_err(|e| PublishError::Corrupt(e.to_string()))?;
        let row = VersionRow {
            name: name.clone(),
            version: version.clone(),
            sha256: sha256.to_owned(),
            size_bytes: upload.component.len() as u64,
            provider: agency.clone(),
            signer_key: upload.signer_key.clone(),
            signature: upload.signature.trim().to_owned(),
            manifest: upload.manifest.clone(),
            columns,
            status: VersionStatus::Active,
            published_at: now,
            published_by: application.clone(),
            retire_on: None,
            retire_reason: None,
            retired_at: None,
        };
        self.store.insert(&row, &upload.component).await?;
        live.loaded
            .insert((name.clone(), version.clone()), Arc::new(loaded));
        self.refresh(&mut live).await?;
        drop(live);
        if let Ok(code) = agency.parse::<lgsp_access::AgencyCode>()
            && let Err(e) = self.auth.access().set_service_provider(&name, &code).await
        {
            tracing::warn!(connector = %name, error = %e, "cannot record the provider of a published connector");
        }
        self.auth.providers_changed();
        let previous_major = existing
            .iter()
            .filter(|e| e.version.major < version.major && e.status == VersionStatus::Active)
            .map(|e| e.version.major)
            .max();
        if let Some(old) = previous_major
            && existing.iter().all(|e| e.version.major <= version.major)
        {
            self.announce_major(&row, old, now).await?;
        }
        Ok(row)
    }

    /// Why the signature does not vouch for this upload, if it does not.
    async fn check_signer(
        &self,
        upload: &Upload,
        agency: &str,
        name: &str,
        version: &str,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let key = upload.signer_key.trim();
        let signer = match self.auth.access().caller_by_key(key, now).await {
            Ok(s) => s,
            Err(KeyLookupError::UnknownKey) => {
                return vec![format!("signing key {key:?} is not registered")];
            }
            Err(e) => return vec![format!("signing key {key} cannot sign: {e}")],
        };
        let mut problems = Vec::new();
        if signer.agency.code.as_str() != agency {
            problems.push(format!(
                "signing key {key} belongs to agency {}, not to the publishing agency {agency}",
                signer.agency.code
            ));
        }
        match lgsp_auth::verify_connector(&signer.key, name, version, sha256, &upload.signature) {
            Ok(()) => {}
            Err(lgsp_auth::SignatureError::WrongKeyType { .. }) => problems.push(format!(
                "signing key {key} is an HMAC key; a component is signed with an RSA key registered to the agency"
            )),
            Err(_) => problems.push(format!(
                "the signature does not verify with key {key}: it must be RSA-SHA256 (base64) over \"{}\\n{name}\\n{version}\\n<SHA-256 of the component, hex>\\n\" (SHA-256 {sha256})",
                lgsp_auth::CONNECTOR_SIGNATURE_CONTEXT
            )),
        }
        problems
    }

    /// Tells consumers holding grants that a new major is out and how long
    /// the old one stays; tells the provider which grants need approving
    /// again.
    async fn announce_major(
        &self,
        row: &VersionRow,
        old_major: u64,
        now: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        let until = today(now) + Days::new(MIN_OVERLAP_DAYS);
        let grants = self.approved_grants(&row.name).await?;
        let snapshot = self.registry.snapshot();
        let consumers = consumer_agencies(&grants);
        let notice = NewNotice {
            name: &row.name,
            version: &row.version.to_string(),
            kind: "new_major",
            message: format!(
                "{} {} is published; queries to {} now reach it. {}@{old_major} keeps serving at least until {until}.",
                row.name, row.version, row.name, row.name
            ),
            effective: Some(until),
        };
        self.store.notify(&consumers, &notice, now).await?;
        let alias = format!("{}@{}", row.name, row.version.major);
        for g in &grants {
            if crate::policy::versions::reaches(g, &alias, &snapshot) {
                continue;
            }
            let changes = snapshot
                .history
                .get(&row.name)
                .and_then(|h| {
                    let base = crate::policy::versions::base_version(g, h, &snapshot)?;
                    let target = h.iter().find(|v| v.version == row.version)?;
                    Some(crate::policy::versions::changes_for(
                        g,
                        &base.columns,
                        &target.columns,
                    ))
                })
                .unwrap_or_default();
            let notice = NewNotice {
                name: &row.name,
                version: &row.version.to_string(),
                kind: "reapproval_needed",
                message: format!(
                    "grant {} does not reach {} {} until its provider approves it again ({}); {}@{old_major} still serves it",
                    g.id,
                    row.name,
                    row.version,
                    changes.join(", "),
                    row.name
                ),
                effective: None,
            };
            let both = [g.consumer_agency.to_string(), g.provider_agency.to_string()];
            self.store.notify(&both, &notice, now).await?;
        }
        Ok(())
    }

    async fn approved_grants(&self, name: &str) -> Result<Vec<lgsp_access::Grant>, PublishError> {
        let filter = GrantFilter {
            status: Some(GrantStatus::Approved),
            schema: Some(name.to_owned()),
            ..GrantFilter::default()
        };
        Ok(self.auth.access().grants(&filter).await?)
    }

    fn draft(&self, now: DateTime<Utc>, action: &str, name: &str, provider: Option<&str>) -> Draft {
        let mut draft = Draft::new(now, Kind::Connector, action);
        draft.resource.path = Some(format!("connector {name}"));
        draft.resource.services = vec![ServiceRef {
            name: name.to_owned(),
            provider: provider.map(str::to_owned),
        }];
        draft
    }

    async fn record(&self, draft: Draft) -> Result<(), PublishError> {
        self.audit.record(draft).await.map(|_| ()).map_err(|e| {
            PublishError::Corrupt(format!("the audit entry could not be written: {e}"))
        })
    }

    fn find<'r>(
        rows: &'r [VersionRow],
        name: &str,
        version: &str,
    ) -> Result<&'r VersionRow, PublishError> {
        rows.iter()
            .find(|r| r.name == name && r.version.to_string() == version)
            .ok_or_else(|| {
                PublishError::NotFound(format!("{name} has no published version {version}"))
            })
    }

    /// Schedules version `version` of `name` to stop serving on `on`: at
    /// least [`MIN_NOTICE_DAYS`] ahead and, for an old major, at least
    /// [`MIN_OVERLAP_DAYS`] after its successor was published. Consumers
    /// holding grants are told.
    ///
    /// # Errors
    /// `NotFound`, `NotAllowed`, `Conflict` (not active), `Invalid` (date).
    pub async fn schedule_retirement(
        &self,
        name: &str,
        version: &str,
        on: NaiveDate,
        reason: &str,
        requester: &Requester,
        now: DateTime<Utc>,
    ) -> Result<VersionRow, PublishError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(PublishError::Invalid(
                "give the reason for the retirement; consumers read it".into(),
            ));
        }
        let _live = self.live.lock().await;
        let rows = self.store.versions().await?;
        let row = Self::find(&rows, name, version)?;
        if !requester.may_manage(&row.provider) {
            return Err(PublishError::NotAllowed(format!(
                "only the provider agency {} or an administrator can retire {name}",
                row.provider
            )));
        }
        if row.status != VersionStatus::Active {
            return Err(PublishError::Conflict(format!(
                "{name} {version} is {:?}, not active",
                row.status
            )));
        }
        let mut earliest = today(now) + Days::new(MIN_NOTICE_DAYS);
        let mut why = format!("a retirement is announced at least {MIN_NOTICE_DAYS} days ahead");
        if let Some(successor) = rows
            .iter()
            .filter(|r| r.name == name && r.version.major > row.version.major)
            .min_by_key(|r| r.published_at)
        {
            let overlap = today(successor.published_at) + Days::new(MIN_OVERLAP_DAYS);
            if overlap > earliest {
                earliest = overlap;
                why = format!(
                    "{name}@{} keeps serving at least {MIN_OVERLAP_DAYS} days after its successor {} (published {})",
                    row.version.major,
                    successor.version,
                    today(successor.published_at)
                );
            }
        }
        if on < earliest {
            return Err(PublishError::Invalid(format!(
                "{name} {version} cannot retire on {on}: {why}; the earliest date is {earliest}"
            )));
        }
        self.store
            .schedule(name, &row.version, on, reason, now)
            .await?;
        let mut draft = self.draft(
            now,
            "connector retirement scheduled",
            name,
            Some(&row.provider),
        );
        draft.detail.insert("version".into(), version.to_owned());
        draft.detail.insert("retire_on".into(), on.to_string());
        draft.detail.insert("reason".into(), reason.to_owned());
        draft.detail.insert("by".into(), requester.actor());
        self.record(draft).await?;
        let consumers = self.consumers_of(name).await?;
        let notice = NewNotice {
            name,
            version,
            kind: "retirement_scheduled",
            message: format!(
                "{name} {version} stops serving on {on} ({reason}); move your queries to a newer version before then"
            ),
            effective: Some(on),
        };
        self.store.notify(&consumers, &notice, now).await?;
        let rows = self.store.versions().await?;
        Ok(Self::find(&rows, name, version)?.clone())
    }

    async fn consumers_of(&self, name: &str) -> Result<Vec<String>, PublishError> {
        Ok(consumer_agencies(&self.approved_grants(name).await?))
    }

    /// Retires every version whose date has come: it stops serving and its
    /// tables disappear. Returns the versions retired.
    ///
    /// # Errors
    /// Database or audit failures.
    pub async fn retire_due(&self, now: DateTime<Utc>) -> Result<Vec<VersionRow>, PublishError> {
        let mut live = self.live.lock().await;
        let day = today(now);
        let due: Vec<VersionRow> = self
            .store
            .versions()
            .await?
            .into_iter()
            .filter(|r| r.status == VersionStatus::Active && r.retire_on.is_some_and(|d| d <= day))
            .collect();
        if due.is_empty() {
            return Ok(due);
        }
        for row in &due {
            self.store
                .set_status(&row.name, &row.version, VersionStatus::Retired, now)
                .await?;
        }
        self.refresh(&mut live).await?;
        drop(live);
        for row in &due {
            let mut draft = self.draft(now, "connector retired", &row.name, Some(&row.provider));
            draft
                .detail
                .insert("version".into(), row.version.to_string());
            self.record(draft).await?;
            let consumers = self.consumers_of(&row.name).await?;
            let notice = NewNotice {
                name: &row.name,
                version: &row.version.to_string(),
                kind: "retired",
                message: format!(
                    "{} {} was retired on {day}; its tables are gone",
                    row.name, row.version
                ),
                effective: Some(day),
            };
            self.store.notify(&consumers, &notice, now).await?;
        }
        Ok(due)
    }

    /// Takes back the serving version of `name`'s major `major` (the
    /// highest when `None`): the version before it in that major serves
    /// again.
    ///
    /// # Errors
    /// `NotFound`, `NotAllowed`, `Conflict` when there is nothing to go back to.
    pub async fn rollback(
        &self,
        name: &str,
        major: Option<u64>,
        requester: &Requester,
        now: DateTime<Utc>,
    ) -> Result<(VersionRow, VersionRow), PublishError> {
        let mut live = self.live.lock().await;
        let rows: Vec<VersionRow> = self
            .store
            .versions()
            .await?
            .into_iter()
            .filter(|r| r.name == name && r.status == VersionStatus::Active)
            .collect();
        let Some(major) = major.or_else(|| rows.iter().map(|r| r.version.major).max()) else {
            return Err(PublishError::NotFound(format!(
                "{name} has no active published version"
            )));
        };
        let mut in_major: Vec<&VersionRow> =
            rows.iter().filter(|r| r.version.major == major).collect();
        in_major.sort_by(|a, b| b.version.cmp(&a.version));
        let Some(current) = in_major.first() else {
            return Err(PublishError::NotFound(format!(
                "{name} has no active {major}.x version"
            )));
        };
        if !requester.may_manage(&current.provider) {
            return Err(PublishError::NotAllowed(format!(
                "only the provider agency {} or an administrator can roll {name} back",
                current.provider
            )));
        }
        let Some(previous) = in_major.get(1) else {
            return Err(PublishError::Conflict(format!(
                "{name} {} is the only active {major}.x version; there is nothing to roll back to",
                current.version
            )));
        };
        let previous_row = (*previous).clone();
        // Load the previous version first, so the swap cannot fail half-way.
        let key = (name.to_owned(), previous_row.version.clone());
        if let std::collections::hash_map::Entry::Vacant(slot) = live.loaded.entry(key) {
            slot.insert(Arc::new(self.load_row(&previous_row).await?));
        }
        self.store
            .set_status(name, &current.version, VersionStatus::RolledBack, now)
            .await?;
        self.refresh(&mut live).await?;
        drop(live);
        let mut draft = self.draft(now, "connector rolled back", name, Some(&current.provider));
        draft
            .detail
            .insert("from".into(), current.version.to_string());
        draft
            .detail
            .insert("to".into(), previous_row.version.to_string());
        draft.detail.insert("by".into(), requester.actor());
        self.record(draft).await?;
        let mut from = (*current).clone();
        from.status = VersionStatus::RolledBack;
        Ok((from, previous_row))
    }

    fn known(&self, live: &Live, name: &str) -> bool {
        live.installed.contains_key(name) || live.loaded.keys().any(|(n, _)| n == name)
    }

    async fn provider_of(&self, live: &Live, name: &str) -> Result<Option<String>, PublishError> {
        if let Some(c) = live.installed.get(name) {
            return Ok(c.provider().map(str::to_owned));
        }
        Ok(self
            .store
            .versions()
            .await?
            .into_iter()
            .find(|r| r.name == name)
            .map(|r| r.provider))
    }

    /// The kill switch: new scans of `name` are refused at once, in every
    /// version, until [`Self::resume`]; it survives a restart.
    ///
    /// # Errors
    /// `NotFound`, `Invalid` (blank reason), database or audit failures.
    pub async fn suspend(
        &self,
        name: &str,
        reason: &str,
        admin: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(PublishError::Invalid(
                "give the reason for the suspension".into(),
            ));
        }
        let live = self.live.lock().await;
        if !self.known(&live, name) {
            return Err(PublishError::NotFound(format!(
                "no connector {name} is loaded"
            )));
        }
        self.runtime.kill_switch(name).set(true);
        self.store
            .suspend(name, &format!("admin:{admin}"), reason, now)
            .await?;
        let provider = self.provider_of(&live, name).await?;
        drop(live);
        let mut draft = self.draft(now, "connector suspended", name, provider.as_deref());
        draft.actor.admin = Some(admin.to_owned());
        draft.detail.insert("reason".into(), reason.to_owned());
        self.record(draft).await
    }

    /// Lifts a suspension.
    ///
    /// # Errors
    /// `Conflict` when it was not suspended; database or audit failures.
    pub async fn resume(
        &self,
        name: &str,
        admin: &str,
        now: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        let live = self.live.lock().await;
        if !self.store.resume(name).await? {
            return Err(PublishError::Conflict(format!("{name} is not suspended")));
        }
        self.runtime.kill_switch(name).set(false);
        let provider = self.provider_of(&live, name).await?;
        drop(live);
        let mut draft = self.draft(now, "connector resumed", name, provider.as_deref());
        draft.actor.admin = Some(admin.to_owned());
        self.record(draft).await
    }

    /// Binds a grant just approved again to the newest serving version of
    /// its connector, so it reaches every major compatible with that one.
    ///
    /// # Errors
    /// Database failures.
    pub async fn bind_grant(
        &self,
        grant: &lgsp_access::Grant,
        now: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        let mut live = self.live.lock().await;
        let newest = live
            .loaded
            .keys()
            .filter(|(n, _)| *n == grant.schema)
            .map(|(_, v)| v.clone())
            .max();
        let Some(version) = newest else {
            return Ok(());
        };
        self.store
            .bind(&grant.id, &grant.schema, &version, now)
            .await?;
        self.refresh(&mut live).await
    }

    /// Whether `name` is suspended now.
    pub fn is_suspended(&self, name: &str) -> bool {
        self.runtime.kill_switch(name).is_suspended()
    }

    /// Sets and removes configuration values of `name`, sealed, and swaps
    /// the new values into every loaded version without a restart. Only
    /// keys are audited, never values.
    ///
    /// # Errors
    /// `NotFound`, `NotAllowed`, `Invalid` (bad key), database failures.
    pub async fn configure(
        &self,
        name: &str,
        change: ConfigChange,
        requester: &Requester,
        now: DateTime<Utc>,
    ) -> Result<Vec<SettingDoc>, PublishError> {
        let mut live = self.live.lock().await;
        if !self.known(&live, name) {
            return Err(PublishError::NotFound(format!(
                "no connector {name} is loaded"
            )));
        }
        let provider = self.provider_of(&live, name).await?;
        let allowed = match &provider {
            Some(p) => requester.may_manage(p),
            None => matches!(requester, Requester::Admin(_)),
        };
        if !allowed {
            return Err(PublishError::NotAllowed(format!(
                "only the provider agency of {name} or an administrator can configure it"
            )));
        }
        let mut set = Vec::new();
        let all = change
            .values
            .iter()
            .map(|(k, v)| (k, v, false))
            .chain(change.secrets.iter().map(|(k, v)| (k, v, true)));
        for (key, value, secret) in all {
            check_key(key)?;
            if value.len() > 64 * 1024 {
                return Err(PublishError::Invalid(format!(
                    "the value of {key} is longer than 64 KiB"
                )));
            }
            set.push((key.clone(), self.sealer.seal(name, key, value)?, secret));
        }
        for key in &change.remove {
            check_key(key)?;
        }
        let actor = requester.actor();
        self.store
            .change_settings(name, &set, &change.remove, &actor, now)
            .await?;
        let stored = self.stored_config(name).await?;
        if let Some(c) = live.installed.get(name).cloned() {
            let mut values = live.installed_config.get(name).cloned().unwrap_or_default();
            values.extend(stored.clone());
            live.installed
                .insert(name.to_owned(), Arc::new(c.with_config(values)));
        }
        for ((n, _), c) in live.loaded.iter_mut() {
            if n == name {
                *c = Arc::new(c.with_config(stored.clone()));
            }
        }
        self.refresh(&mut live).await?;
        drop(live);
        let mut draft = self.draft(
            now,
            "connector configuration changed",
            name,
            provider.as_deref(),
        );
        let keys = |m: &BTreeMap<String, String>| m.keys().cloned().collect::<Vec<_>>().join(",");
        draft.detail.insert("set".into(), keys(&change.values));
        draft
            .detail
            .insert("set_secret".into(), keys(&change.secrets));
        draft
            .detail
            .insert("removed".into(), change.remove.join(","));
        draft.detail.insert("by".into(), actor);
        self.record(draft).await?;
        self.settings(name).await
    }

    /// The configuration keys of `name` (never values).
    ///
    /// # Errors
    /// Database failures.
    pub async fn settings(&self, name: &str) -> Result<Vec<SettingDoc>, PublishError> {
        Ok(self
            .store
            .settings(name)
            .await?
            .into_iter()
            .map(|s| SettingDoc {
                key: s.key,
                secret: s.secret,
                updated_at: crate::api::admin_rfc3339(s.updated_at),
                updated_by: s.updated_by,
            })
            .collect())
    }

    /// Whether `requester` may read `name`'s configuration keys.
    ///
    /// # Errors
    /// `NotFound`, `NotAllowed`.
    pub async fn check_manager(
        &self,
        name: &str,
        requester: &Requester,
    ) -> Result<(), PublishError> {
        let live = self.live.lock().await;
        if !self.known(&live, name) {
            return Err(PublishError::NotFound(format!(
                "no connector {name} is loaded"
            )));
        }
        match self.provider_of(&live, name).await? {
            Some(p) if requester.may_manage(&p) => Ok(()),
            None if matches!(requester, Requester::Admin(_)) => Ok(()),
            _ => Err(PublishError::NotAllowed(format!(
                "only the provider agency of {name} or an administrator can manage it"
            ))),
        }
    }

    /// The notices written to `agency`, newest first.
    ///
    /// # Errors
    /// Database failures.
    pub async fn notices(&self, agency: &str) -> Result<Vec<NoticeDoc>, PublishError> {
        Ok(self
            .store
            .notices(agency)
            .await?
            .into_iter()
            .map(|n| NoticeDoc {
                id: n.id,
                connector: n.name,
                version: n.version,
                kind: n.kind,
                message: n.message,
                effective: n.effective,
                created_at: crate::api::admin_rfc3339(n.created_at),
            })
            .collect())
    }

    /// Where `application`'s agency hears of notices (`None`: nowhere).
    ///
    /// # Errors
    /// `Invalid` for a URL the platform cannot post to.
    pub async fn set_webhook(
        &self,
        application: &str,
        agency: &str,
        url: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), PublishError> {
        if let Some(problem) = url.and_then(crate::runtime::webhook_problem) {
            return Err(PublishError::Invalid(format!("webhook {problem}")));
        }
        self.store.set_webhook(application, agency, url, now).await
    }
}

/// The agencies holding `grants`, each once.
fn consumer_agencies(grants: &[lgsp_access::Grant]) -> Vec<String> {
    let mut agencies: Vec<String> = grants
        .iter()
        .map(|g| g.consumer_agency.to_string())
        .collect();
    agencies.sort();
    agencies.dedup();
    agencies
}

/// A configuration key: what `config("key")` can name.
fn check_key(key: &str) -> Result<(), PublishError> {
    let ok = !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(PublishError::Invalid(format!(
            "configuration key {key:?} must be 1 to 64 characters of a-z, 0-9 and _"
        )))
    }
}

/// Reads an uploaded manifest.
fn parse_manifest(text: &str) -> Result<Manifest, String> {
    toml::from_str(text).map_err(|e| {
        format!(
            "the manifest is not valid: {}",
            crate::runtime::toml_error(text, &e)
        )
    })
}
