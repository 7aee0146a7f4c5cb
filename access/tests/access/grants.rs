//! Services and grants: who decides, what is in force on a given day.

use crate::support::{agency, app, code, day, fresh, kind};
use lgsp_access::{
    AccessStore, Actor, AppStatus, Decision, Grant, GrantFilter, GrantRequest, GrantStatus,
};

const PROVIDER: &str = "000.00.00.H49";
const CONSUMER: &str = "000.00.00.G22";
const OTHER: &str = "000.00.00.H26";

struct World {
    store: AccessStore,
    _db: crate::support::TestDb,
    app: String,
}

async fn world() -> World {
    let (store, db) = fresh().await;
    agency(&store, PROVIDER, "UBND tỉnh Quảng Ninh").await;
    agency(&store, CONSUMER, "Văn phòng Chính phủ").await;
    agency(&store, OTHER, "UBND tỉnh Thái Bình").await;
    store
        .set_service_provider("dan_cu", &code(PROVIDER))
        .await
        .expect("service");
    let app = app(&store, CONSUMER).await.id;
    World {
        store,
        _db: db,
        app,
    }
}

impl World {
    /// The consumer's standard request, made.
    async fn requested(&self) -> Grant {
        self.store
            .request_grant(&self.app, request())
            .await
            .expect("request")
    }

    /// The consumer's standard request, approved by the provider.
    async fn approved(&self) -> Grant {
        let g = self.requested().await;
        self.store
            .decide_grant(&g.id, &agency_actor(PROVIDER), approve())
            .await
            .expect("approve")
    }
}

fn request() -> GrantRequest {
    GrantRequest {
        schema: "dan_cu".into(),
        table: Some("cong_dan".into()),
        columns: vec![],
        clear_columns: vec![],
        purpose: "Giải quyết thủ tục hành chính".into(),
        valid_from: day(2026, 3, 1),
        valid_to: day(2026, 3, 31),
    }
}

fn agency_actor(c: &str) -> Actor {
    Actor::Agency(code(c))
}

fn approve() -> Decision {
    Decision::Approve { row_filter: None }
}

#[tokio::test]
async fn services_are_listed_with_their_provider() {
    let w = world().await;
    assert_eq!(
        w.store.service_provider("dan_cu").await.expect("read"),
        Some(code(PROVIDER))
    );
    assert_eq!(w.store.service_provider("bhxh").await.expect("read"), None);
    w.store
        .set_service_provider("bhxh", &code(OTHER))
        .await
        .expect("service");
    let services = w.store.services().await.expect("list");
    let pairs: Vec<(&str, &str)> = services
        .iter()
        .map(|s| (s.schema.as_str(), s.provider.as_str()))
        .collect();
    assert_eq!(pairs, vec![("bhxh", OTHER), ("dan_cu", PROVIDER)]);
    assert_eq!(
        kind(w.store.set_service_provider("Dan Cu", &code(OTHER)).await),
        "invalid_identifier"
    );
    assert_eq!(
        kind(
            w.store
                .set_service_provider("x", &code("000.00.00.H01"))
                .await
        ),
        "unknown_agency"
    );
}

#[tokio::test]
async fn request_then_provider_approves() {
    let w = world().await;
    let g = w.requested().await;
    assert!(g.id.starts_with("gr_") && g.id.len() == 19, "{}", g.id);
    assert_eq!(g.status, GrantStatus::Requested);
    assert_eq!(g.provider_agency, code(PROVIDER));
    assert_eq!(g.consumer_agency, code(CONSUMER));
    assert_eq!(w.store.grant(&g.id).await.expect("read"), Some(g.clone()));

    // The consumer cannot approve its own request for another agency's data, nor can a third agency.
    for who in [CONSUMER, OTHER] {
        let err = w
            .store
            .decide_grant(&g.id, &agency_actor(who), approve())
            .await
            .expect_err("not allowed");
        assert_eq!(err.kind(), "not_allowed");
        assert!(err.to_string().contains(PROVIDER), "{err}");
    }
    let decision = Decision::Approve {
        row_filter: Some(" ma_tinh = '22' ".into()),
    };
    let approved = w
        .store
        .decide_grant(&g.id, &agency_actor(PROVIDER), decision)
        .await
        .expect("approve");
    assert_eq!(approved.status, GrantStatus::Approved);
    assert_eq!(approved.row_filter.as_deref(), Some("ma_tinh = '22'"));
    assert_eq!(approved.decided_by.as_deref(), Some("agency:000.00.00.H49"));
    assert!(approved.decided_at.is_some());
    assert_eq!(w.store.grant(&g.id).await.expect("read"), Some(approved));

    let again = w
        .store
        .decide_grant(&g.id, &Actor::Admin("root".into()), approve())
        .await;
    assert_eq!(kind(again), "grant_state");
}

#[tokio::test]
async fn admins_decide_and_rejections_need_a_reason() {
    let w = world().await;
    let g = w.requested().await;
    let blank = Decision::Reject {
        reason: "  ".into(),
    };
    assert_eq!(
        kind(
            w.store
                .decide_grant(&g.id, &Actor::Admin("root".into()), blank)
                .await
        ),
        "invalid_grant"
    );
    let reject = Decision::Reject {
        reason: "Mục đích chưa rõ".into(),
    };
    let rejected = w
        .store
        .decide_grant(&g.id, &Actor::Admin("root".into()), reject)
        .await
        .expect("reject");
    assert_eq!(rejected.status, GrantStatus::Rejected);
    assert_eq!(rejected.reason.as_deref(), Some("Mục đích chưa rõ"));
    assert_eq!(rejected.decided_by.as_deref(), Some("admin:root"));
    // Final: cannot be revoked or decided again.
    assert_eq!(
        kind(
            w.store
                .revoke_grant(&g.id, &agency_actor(PROVIDER), "x")
                .await
        ),
        "grant_state"
    );
    assert_eq!(
        kind(
            w.store
                .decide_grant(&g.id, &agency_actor(PROVIDER), approve())
                .await
        ),
        "grant_state"
    );
    assert_eq!(
        kind(
            w.store
                .decide_grant("gr_missing", &agency_actor(PROVIDER), approve())
                .await
        ),
        "unknown_grant"
    );
}

#[tokio::test]
async fn revocation_by_either_side_keeps_the_decision_trail() {
    let w = world().await;
    let g = w.approved().await;
    let in_march = day(2026, 3, 15);
    assert_eq!(
        w.store
            .active_grants(&w.app, in_march)
            .await
            .expect("active")
            .len(),
        1
    );

    assert_eq!(
        kind(w.store.revoke_grant(&g.id, &agency_actor(OTHER), "x").await),
        "not_allowed"
    );
    assert_eq!(
        kind(
            w.store
                .revoke_grant(&g.id, &agency_actor(CONSUMER), " ")
                .await
        ),
        "invalid_grant"
    );
    let revoked = w
        .store
        .revoke_grant(&g.id, &agency_actor(CONSUMER), "Không còn cần")
        .await
        .expect("revoke");
    assert_eq!(revoked.status, GrantStatus::Revoked);
    assert_eq!(revoked.revoked_by.as_deref(), Some("agency:000.00.00.G22"));
    assert_eq!(
        revoked.decided_by.as_deref(),
        Some("agency:000.00.00.H49"),
        "approval kept"
    );
    assert_eq!(revoked.reason.as_deref(), Some("Không còn cần"));
    assert!(
        w.store
            .active_grants(&w.app, in_march)
            .await
            .expect("active")
            .is_empty()
    );
    assert_eq!(
        kind(
            w.store
                .revoke_grant(&g.id, &agency_actor(PROVIDER), "x")
                .await
        ),
        "grant_state"
    );

    // A pending request can be withdrawn too.
    let pending = w.requested().await;
    let withdrawn = w
        .store
        .revoke_grant(&pending.id, &agency_actor(PROVIDER), "Trùng")
        .await
        .expect("revoke");
    assert_eq!(withdrawn.status, GrantStatus::Revoked);
}

#[tokio::test]
async fn active_grants_respect_status_and_the_validity_boundaries() {
    let w = world().await;
    let g = w.requested().await;
    // Requested but not approved: never active.
    assert!(
        w.store
            .active_grants(&w.app, day(2026, 3, 15))
            .await
            .expect("active")
            .is_empty()
    );
    w.store
        .decide_grant(&g.id, &agency_actor(PROVIDER), approve())
        .await
        .expect("approve");
    for (d, expected) in [
        (day(2026, 2, 28), 0),
        (day(2026, 3, 1), 1),
        (day(2026, 3, 31), 1),
        (day(2026, 4, 1), 0),
    ] {
        let active = w.store.active_grants(&w.app, d).await.expect("active");
        assert_eq!(active.len(), expected, "on {d}");
    }
    let other_app = app(&w.store, CONSUMER).await;
    assert!(
        w.store
            .active_grants(&other_app.id, day(2026, 3, 15))
            .await
            .expect("active")
            .is_empty()
    );
}

#[tokio::test]
async fn requests_are_validated() {
    let w = world().await;
    let mut unknown = request();
    unknown.schema = "bhxh".into();
    let err = w
        .store
        .request_grant(&w.app, unknown)
        .await
        .expect_err("no provider");
    assert_eq!(err.kind(), "unknown_service");
    assert!(err.to_string().contains("bhxh"), "{err}");
    let mut short = request();
    short.purpose = "ab".into();
    assert_eq!(
        kind(w.store.request_grant(&w.app, short).await),
        "invalid_grant"
    );
    let mut backwards = request();
    backwards.valid_to = day(2026, 2, 1);
    assert_eq!(
        kind(w.store.request_grant(&w.app, backwards).await),
        "invalid_grant"
    );
    assert_eq!(
        kind(w.store.request_grant("app_missing", request()).await),
        "unknown_application"
    );
    w.store
        .set_application_status(&w.app, AppStatus::Suspended)
        .await
        .expect("suspend");
    assert_eq!(
        kind(w.store.request_grant(&w.app, request()).await),
        "application_suspended"
    );
    assert!(
        w.store
            .grants(&GrantFilter::default())
            .await
            .expect("list")
            .is_empty(),
        "nothing written"
    );
}

#[tokio::test]
async fn a_new_provider_takes_over_pending_requests_only() {
    let w = world().await;
    let decided = w.approved().await;
    let pending = w.requested().await;
    w.store
        .set_service_provider("dan_cu", &code(OTHER))
        .await
        .expect("new provider");

    assert_eq!(
        kind(
            w.store
                .decide_grant(&pending.id, &agency_actor(PROVIDER), approve())
                .await
        ),
        "not_allowed"
    );
    let approved = w
        .store
        .decide_grant(&pending.id, &agency_actor(OTHER), approve())
        .await
        .expect("approve");
    assert_eq!(approved.provider_agency, code(OTHER));
    let kept = w
        .store
        .grant(&decided.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(kept.provider_agency, code(PROVIDER));
}

#[tokio::test]
async fn grants_are_filtered() {
    let w = world().await;
    w.store
        .set_service_provider("bhxh", &code(OTHER))
        .await
        .expect("service");
    let a = w.requested().await;
    let mut to_other = request();
    to_other.schema = "bhxh".into();
    to_other.table = None;
    let b = w
        .store
        .request_grant(&w.app, to_other)
        .await
        .expect("request");
    w.store
        .decide_grant(&b.id, &agency_actor(OTHER), approve())
        .await
        .expect("approve");
    let provider_app = app(&w.store, PROVIDER).await;
    let c = w
        .store
        .request_grant(&provider_app.id, request())
        .await
        .expect("own data");

    let ids = |grants: Vec<lgsp_access::Grant>| {
        let mut ids: Vec<String> = grants.into_iter().map(|g| g.id).collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let all = w.store.grants(&GrantFilter::default()).await.expect("all");
    assert_eq!(
        ids(all),
        sorted(vec![a.id.clone(), b.id.clone(), c.id.clone()])
    );
    let by_provider = GrantFilter {
        provider_agency: Some(code(PROVIDER)),
        ..Default::default()
    };
    assert_eq!(
        ids(w.store.grants(&by_provider).await.expect("list")),
        sorted(vec![a.id.clone(), c.id.clone()])
    );
    let by_consumer = GrantFilter {
        consumer_agency: Some(code(CONSUMER)),
        ..Default::default()
    };
    assert_eq!(
        ids(w.store.grants(&by_consumer).await.expect("list")),
        sorted(vec![a.id.clone(), b.id.clone()])
    );
    let approved = GrantFilter {
        status: Some(GrantStatus::Approved),
        ..Default::default()
    };
    assert_eq!(
        ids(w.store.grants(&approved).await.expect("list")),
        vec![b.id.clone()]
    );
    let by_app = GrantFilter {
        application: Some(provider_app.id.clone()),
        status: Some(GrantStatus::Requested),
        ..Default::default()
    };
    assert_eq!(
        ids(w.store.grants(&by_app).await.expect("list")),
        vec![c.id]
    );
}
