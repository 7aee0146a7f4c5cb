//! Applications: only for active agencies; tiers and status.

use crate::support::{agency, app, code, fresh, kind};
use lgsp_access::{AgencyStatus, AppStatus, ApplicationUpdate, NewApplication, Tier};

#[tokio::test]
async fn create_read_list_and_update() {
    let (store, _db) = fresh().await;
    agency(&store, "000.00.00.H49", "UBND tỉnh Quảng Ninh").await;
    agency(&store, "000.00.00.G22", "Văn phòng Chính phủ").await;
    let a = app(&store, "000.00.00.H49").await;
    let b = app(&store, "000.00.00.G22").await;
    let suffix = a.id.strip_prefix("app_").expect("app_ prefix");
    assert_eq!(suffix.len(), 16);
    assert!(
        suffix
            .bytes()
            .all(|c| c.is_ascii_lowercase() || (b'2'..=b'7').contains(&c)),
        "{}",
        a.id
    );
    assert_ne!(a.id, b.id);
    assert_eq!(a.status, AppStatus::Active);
    assert_eq!(a.tier, Tier::STANDARD);
    assert_eq!(
        store.application(&a.id).await.expect("read"),
        Some(a.clone())
    );
    assert_eq!(store.application("app_missing").await.expect("read"), None);
    let mine = store
        .applications(Some(&code("000.00.00.H49")))
        .await
        .expect("list");
    assert_eq!(mine, vec![a.clone()]);
    assert_eq!(store.applications(None).await.expect("list").len(), 2);

    let tier = Tier {
        per_minute: 5000,
        per_day: Some(1_000_000),
    };
    let updated = store
        .update_application(
            &a.id,
            ApplicationUpdate {
                tier: Some(tier),
                legacy_sha1: Some(true),
                name: Some("Cổng dịch vụ công".into()),
            },
        )
        .await
        .expect("update");
    assert_eq!(
        (updated.tier, updated.legacy_sha1, updated.name.as_str()),
        (tier, true, "Cổng dịch vụ công")
    );
    assert_eq!(
        store.application(&a.id).await.expect("read"),
        Some(updated.clone())
    );
    // Fields left out stay as they are.
    let same = store
        .update_application(&a.id, ApplicationUpdate::default())
        .await
        .expect("update");
    assert_eq!(same, updated);

    let suspended = store
        .set_application_status(&a.id, AppStatus::Suspended)
        .await
        .expect("suspend");
    assert_eq!(suspended.status, AppStatus::Suspended);
    let read = store
        .application(&a.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(read.status, AppStatus::Suspended);
}

#[tokio::test]
async fn the_agency_must_exist_and_be_active() {
    let (store, _db) = fresh().await;
    let new = |c: &str| NewApplication {
        agency: code(c),
        name: "Hệ thống".into(),
        legacy_sha1: false,
        tier: Tier::HIGH,
    };
    assert_eq!(
        kind(store.create_application(new("000.00.00.H49")).await),
        "unknown_agency"
    );
    agency(&store, "000.00.00.H49", "UBND tỉnh Quảng Ninh").await;
    store
        .set_agency_status(&code("000.00.00.H49"), AgencyStatus::Suspended)
        .await
        .expect("suspend");
    let err = store
        .create_application(new("000.00.00.H49"))
        .await
        .expect_err("suspended");
    assert_eq!(err.kind(), "agency_not_active");
    assert!(err.to_string().contains("suspended"), "{err}");
    store
        .set_agency_status(&code("000.00.00.H49"), AgencyStatus::Active)
        .await
        .expect("reactivate");
    let app = store
        .create_application(new("000.00.00.H49"))
        .await
        .expect("created");
    assert_eq!(app.tier.per_minute, 5000);
}

#[tokio::test]
async fn tiers_and_names_are_validated() {
    let (store, _db) = fresh().await;
    agency(&store, "000.00.00.H49", "UBND tỉnh Quảng Ninh").await;
    let a = app(&store, "000.00.00.H49").await;
    let zero = Tier {
        per_minute: 0,
        per_day: None,
    };
    let update = |tier| ApplicationUpdate {
        tier: Some(tier),
        ..Default::default()
    };
    assert_eq!(
        kind(store.update_application(&a.id, update(zero)).await),
        "invalid_tier"
    );
    let huge = Tier {
        per_minute: 1,
        per_day: Some(u64::MAX),
    };
    assert_eq!(
        kind(store.update_application(&a.id, update(huge)).await),
        "invalid_tier"
    );
    let no_day = Tier {
        per_minute: 1,
        per_day: Some(0),
    };
    assert_eq!(
        kind(store.update_application(&a.id, update(no_day)).await),
        "invalid_tier"
    );
    let blank = ApplicationUpdate {
        name: Some(" ".into()),
        ..Default::default()
    };
    assert_eq!(
        kind(store.update_application(&a.id, blank).await),
        "invalid_name"
    );
    assert_eq!(
        kind(
            store
                .update_application("app_missing", ApplicationUpdate::default())
                .await
        ),
        "unknown_application"
    );
    assert_eq!(
        kind(
            store
                .set_application_status("app_missing", AppStatus::Active)
                .await
        ),
        "unknown_application"
    );
    // Nothing above changed the application.
    assert_eq!(store.application(&a.id).await.expect("read"), Some(a));
}
