//! Keys: secrets sealed at rest, the per-request lookup, revocation, expiry and rotation.

use crate::support::{agency, app, code, fresh, kind};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration as Span, Utc};
use lgsp_access::{
    AccessStore, AgencyStatus, AppStatus, IssuedKey, KeyKind, KeyLookupError, KeyMaterial,
    KeyStatus, MasterKey,
};
use lgsp_auth::VerifyingKey;
use sqlx::Row;
use std::time::Duration;

/// A 2048-bit RSA public key generated for these tests only (its private key was discarded).
const TEST_RSA_PUBLIC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApjbIlcOywPzJF4vHRUfr
7C1azO2AvIPJurx6+ec25J2dfRX5T0SrZSZZ7hTQDAzi1Y8eabsWPyu7naAX09Qf
QGoUEOGT46pP9WI0wgS8x/NSuym1ahylyMDEmZsV51zUK7deZv80NMiHM8REzucf
IG7CDqwcRL2aEpk1/UrzxC52mETwbkWFZRgFAR2GujTYp50hmq/7emuqiyj7UkQu
dEDQT02Np25nNrB04HSEoQMPLXgbu3BjLY+Va2itJFdMA1l/000aYT9xNHLeF6b1
vbQU2Nr4PB2C08U+dXlOSLuPtXGhRghh7wiX8X7WSS6Vtah3lOs7qot/fq1nEbde
ZQIDAQAB
-----END PUBLIC KEY-----
";

async fn setup() -> (AccessStore, crate::support::TestDb, String) {
    let (store, db) = fresh().await;
    agency(&store, "000.00.00.H49", "UBND tỉnh Quảng Ninh").await;
    let a = app(&store, "000.00.00.H49").await;
    (store, db, a.id)
}

fn refusal<T: std::fmt::Debug>(r: Result<T, KeyLookupError>) -> KeyLookupError {
    match r {
        Ok(v) => panic!("expected a refusal, got {v:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn hmac_key_is_issued_once_and_found_per_request() {
    let (store, _db, app_id) = setup().await;
    let issued = hmac_key(&store, &app_id).await;
    let access = &issued.info.access_key;
    assert!(access.starts_with("LGSP") && access.len() == 20, "{access}");
    assert!(
        access[4..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)),
        "{access}"
    );
    let secret = issued.secret_key.clone().expect("HMAC secret shown once");
    assert_eq!(secret.len(), 40);
    assert_eq!(
        URL_SAFE_NO_PAD.decode(&secret).map(|b| b.len()).ok(),
        Some(30)
    );
    assert_eq!(issued.info.kind, KeyKind::Hmac);

    let caller = store
        .caller_by_key(access, Utc::now())
        .await
        .expect("caller");
    assert_eq!(caller.access_key, *access);
    assert_eq!(caller.application.id, app_id);
    assert_eq!(caller.agency.code, code("000.00.00.H49"));
    match caller.key {
        VerifyingKey::Hmac(bytes) => assert_eq!(bytes, secret.as_bytes()),
        other => panic!("expected an HMAC key, got {other:?}"),
    }
    // Listing never shows the secret again.
    let keys = store.keys(&app_id).await.expect("keys");
    assert_eq!(keys, vec![issued.info.clone()]);
    assert!(!format!("{issued:?}").contains(&secret));
}

#[tokio::test]
async fn secrets_are_not_stored_in_clear_and_need_the_master_key() {
    let (store, db, app_id) = setup().await;
    let issued = hmac_key(&store, &app_id).await;
    let secret = issued.secret_key.expect("secret");
    let raw_secret = URL_SAFE_NO_PAD.decode(&secret).expect("base64url");

    let row = sqlx::query("SELECT * FROM api_key WHERE access_key = $1")
        .bind(&issued.info.access_key)
        .fetch_one(&db.pool)
        .await
        .expect("raw row");
    let sealed: Vec<u8> = row.try_get("sealed_secret").expect("sealed column");
    assert_eq!(sealed.len(), 12 + 40 + 16, "nonce ‖ ciphertext ‖ tag");
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    assert!(!contains(&sealed, secret.as_bytes()));
    assert!(!contains(&sealed, &raw_secret));
    // Nowhere in the database files either (main file and write-ahead log),
    // where the sealed form is.
    let mut files = Vec::new();
    for suffix in ["", "-wal"] {
        let mut p = db.path.clone().into_os_string();
        p.push(suffix);
        files.extend(std::fs::read(&p).unwrap_or_default());
    }
    assert!(contains(&files, &sealed), "the scan sees the stored row");
    assert!(
        !contains(&files, secret.as_bytes()),
        "secret in the database files"
    );
    assert!(
        !contains(&files, &raw_secret),
        "raw secret in the database files"
    );

    // Another master key on the same database cannot open it.
    let other = AccessStore::open(db.pool.clone(), MasterKey::generate())
        .await
        .expect("open");
    let err = refusal(
        other
            .caller_by_key(&issued.info.access_key, Utc::now())
            .await,
    );
    assert_eq!(err.kind(), "secret_unreadable");
    // The right one still can.
    assert!(
        store
            .caller_by_key(&issued.info.access_key, Utc::now())
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn rsa_keys_keep_only_the_public_key() {
    let (store, db, app_id) = setup().await;
    let material = KeyMaterial::Rsa {
        public_key_pem: TEST_RSA_PUBLIC_PEM.into(),
    };
    let issued = store
        .create_key(&app_id, material, None)
        .await
        .expect("rsa key");
    assert_eq!(issued.secret_key, None);
    assert_eq!(issued.info.kind, KeyKind::Rsa);
    let caller = store
        .caller_by_key(&issued.info.access_key, Utc::now())
        .await
        .expect("caller");
    assert!(
        matches!(caller.key, VerifyingKey::Rsa(_)),
        "{:?}",
        caller.key
    );
    let sealed: Option<Vec<u8>> =
        sqlx::query("SELECT sealed_secret FROM api_key WHERE access_key = $1")
            .bind(&issued.info.access_key)
            .fetch_one(&db.pool)
            .await
            .expect("row")
            .try_get("sealed_secret")
            .expect("column");
    assert_eq!(sealed, None);

    for bad in [
        "",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ] {
        let material = KeyMaterial::Rsa {
            public_key_pem: bad.into(),
        };
        assert_eq!(
            kind(store.create_key(&app_id, material, None).await),
            "invalid_public_key"
        );
    }
    assert_eq!(
        kind(
            store
                .create_key("app_missing", KeyMaterial::Hmac, None)
                .await
        ),
        "unknown_application"
    );
}

#[tokio::test]
async fn revocation_applies_to_the_next_call() {
    let (store, _db, app_id) = setup().await;
    let issued = hmac_key(&store, &app_id).await;
    let access = &issued.info.access_key;
    assert!(store.caller_by_key(access, Utc::now()).await.is_ok());
    let revoked = store.revoke_key(access).await.expect("revoke");
    assert_eq!(revoked.status, KeyStatus::Revoked);
    let at = revoked.revoked_at.expect("revoked_at");
    match store.caller_by_key(access, Utc::now()).await {
        Err(KeyLookupError::Revoked { at: seen }) => assert_eq!(seen, at),
        other => panic!("expected Revoked, got {other:?}"),
    }
    // Revoking again changes nothing.
    let again = store.revoke_key(access).await.expect("revoke again");
    assert_eq!(again.revoked_at, Some(at));
    assert_eq!(
        kind(store.revoke_key("LGSPAAAAAAAAAAAAAAAA").await),
        "unknown_key"
    );
}

#[tokio::test]
async fn expiry_is_checked_against_the_given_time() {
    let (store, _db, app_id) = setup().await;
    let expires = Utc::now() + Span::hours(1);
    let issued = store
        .create_key(&app_id, KeyMaterial::Hmac, Some(expires))
        .await
        .expect("key");
    let at = issued.info.expires_at.expect("expiry");
    assert_eq!(at.timestamp(), expires.timestamp());
    let access = &issued.info.access_key;
    assert!(
        store
            .caller_by_key(access, at - Span::seconds(1))
            .await
            .is_ok()
    );
    match store.caller_by_key(access, at).await {
        Err(KeyLookupError::Expired { at: seen }) => assert_eq!(seen, at),
        other => panic!("expected Expired, got {other:?}"),
    }
    let past = store
        .create_key(
            &app_id,
            KeyMaterial::Hmac,
            Some(Utc::now() - Span::seconds(1)),
        )
        .await;
    assert_eq!(kind(past), "invalid_expiry");
}

#[tokio::test]
async fn rotation_keeps_both_keys_valid_until_the_grace_ends() {
    let (store, _db, app_id) = setup().await;
    let old = hmac_key(&store, &app_id).await;
    let old_key = old.info.access_key.clone();
    let before = Utc::now();
    let new = store
        .rotate_key(&old_key, Duration::from_secs(3600), KeyMaterial::Hmac)
        .await
        .expect("rotate");
    let new_key = new.info.access_key.clone();
    assert_ne!(new_key, old_key);
    assert!(new.secret_key.is_some());
    assert_eq!(new.info.application, app_id);
    assert_eq!(new.info.expires_at, None);

    let keys = store.keys(&app_id).await.expect("keys");
    let old_info = keys
        .iter()
        .find(|k| k.access_key == old_key)
        .expect("old listed");
    assert_eq!(old_info.replaced_by.as_deref(), Some(new_key.as_str()));
    let grace_end = old_info.expires_at.expect("old key now expires");
    assert!(grace_end >= before + Span::seconds(3599) && grace_end <= Utc::now() + Span::hours(1));

    let during = grace_end - Span::minutes(30);
    assert!(
        store.caller_by_key(&old_key, during).await.is_ok(),
        "old key works during the grace"
    );
    assert!(store.caller_by_key(&new_key, during).await.is_ok());
    let after = grace_end + Span::seconds(1);
    assert!(matches!(
        store.caller_by_key(&old_key, after).await,
        Err(KeyLookupError::Expired { at }) if at == grace_end
    ));
    assert!(
        store.caller_by_key(&new_key, after).await.is_ok(),
        "new key keeps working"
    );

    let twice = store
        .rotate_key(&old_key, Duration::from_secs(60), KeyMaterial::Hmac)
        .await;
    assert_eq!(kind(twice), "key_replaced");
    store.revoke_key(&new_key).await.expect("revoke");
    let revoked = store
        .rotate_key(&new_key, Duration::from_secs(60), KeyMaterial::Hmac)
        .await;
    assert_eq!(kind(revoked), "key_revoked");
}

#[tokio::test]
async fn rotation_never_extends_an_earlier_expiry() {
    let (store, _db, app_id) = setup().await;
    let expires = Utc::now() + Span::minutes(10);
    let old = store
        .create_key(&app_id, KeyMaterial::Hmac, Some(expires))
        .await
        .expect("key");
    let material = KeyMaterial::Rsa {
        public_key_pem: TEST_RSA_PUBLIC_PEM.into(),
    };
    let new = store
        .rotate_key(&old.info.access_key, Duration::from_secs(86_400), material)
        .await
        .expect("rotate to RSA");
    assert_eq!(new.info.kind, KeyKind::Rsa);
    let keys = store.keys(&app_id).await.expect("keys");
    let old_info = keys
        .iter()
        .find(|k| k.access_key == old.info.access_key)
        .expect("listed");
    assert_eq!(old_info.expires_at, old.info.expires_at);
    let forever = store
        .rotate_key(&new.info.access_key, Duration::MAX, KeyMaterial::Hmac)
        .await;
    assert_eq!(kind(forever), "invalid_expiry");
}

#[tokio::test]
async fn suspended_applications_and_inactive_agencies_are_refused() {
    let (store, _db, app_id) = setup().await;
    let issued = hmac_key(&store, &app_id).await;
    let access = &issued.info.access_key;

    store
        .set_application_status(&app_id, AppStatus::Suspended)
        .await
        .expect("suspend app");
    let err = refusal(store.caller_by_key(access, Utc::now()).await);
    assert!(
        matches!(err, KeyLookupError::ApplicationSuspended),
        "{err:?}"
    );
    store
        .set_application_status(&app_id, AppStatus::Active)
        .await
        .expect("reactivate app");
    assert!(store.caller_by_key(access, Utc::now()).await.is_ok());

    let h49 = code("000.00.00.H49");
    store
        .set_agency_status(&h49, AgencyStatus::Suspended)
        .await
        .expect("suspend agency");
    let err = refusal(store.caller_by_key(access, Utc::now()).await);
    assert!(
        matches!(err, KeyLookupError::AgencyInactive(AgencyStatus::Suspended)),
        "{err:?}"
    );
    assert_eq!(err.kind(), "agency_inactive");
    store
        .set_agency_status(&h49, AgencyStatus::Active)
        .await
        .expect("reactivate agency");

    agency(&store, "000.00.00.H26", "UBND tỉnh khác").await;
    store
        .merge_agencies(
            std::slice::from_ref(&h49),
            &code("000.00.00.H26"),
            crate::support::day(2026, 1, 1),
        )
        .await
        .expect("merge");
    let err = refusal(store.caller_by_key(access, Utc::now()).await);
    assert!(
        matches!(err, KeyLookupError::AgencyInactive(AgencyStatus::Dissolved)),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_and_malformed_keys_are_unknown() {
    let (store, _db, _app) = setup().await;
    for key in [
        "LGSPAAAAAAAAAAAAAAAA",
        "",
        "LGSP",
        "x'; DROP TABLE api_key; --",
    ] {
        let err = refusal(store.caller_by_key(key, Utc::now()).await);
        assert!(matches!(err, KeyLookupError::UnknownKey), "{key}: {err:?}");
        assert_eq!(err.kind(), "unknown_key");
    }
    assert_eq!(kind(store.keys("app_missing").await), "unknown_application");
}

#[tokio::test]
async fn concurrent_writers_all_succeed() {
    let (store, _db, app_id) = setup().await;
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = store.clone();
        let app_id = app_id.clone();
        tasks.push(tokio::spawn(async move {
            let issued = store.create_key(&app_id, KeyMaterial::Hmac, None).await?;
            store
                .rotate_key(
                    &issued.info.access_key,
                    Duration::from_secs(60),
                    KeyMaterial::Hmac,
                )
                .await
        }));
    }
    for task in tasks {
        task.await
            .expect("task")
            .expect("concurrent create and rotate");
    }
    let keys = store.keys(&app_id).await.expect("keys");
    assert_eq!(keys.len(), 24);
    assert_eq!(keys.iter().filter(|k| k.replaced_by.is_some()).count(), 12);
}

/// A new HMAC key of `app_id`.
async fn hmac_key(store: &AccessStore, app_id: &str) -> IssuedKey {
    store
        .create_key(app_id, KeyMaterial::Hmac, None)
        .await
        .expect("key")
}
