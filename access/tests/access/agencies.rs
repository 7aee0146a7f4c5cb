//! Agencies: codes never reused, and history recorded on every agency involved.

use crate::support::{agency, code, day, fresh, kind};
use lgsp_access::{AgencyChange, AgencyStatus, NewAgency};

#[tokio::test]
async fn create_read_and_list() {
    let (store, _db) = fresh().await;
    let province = agency(&store, "000.00.00.H49", "UBND tỉnh Quảng Ninh").await;
    let dept = store
        .create_agency(NewAgency {
            code: code("000.00.01.H49"),
            name: "  Sở Y tế Quảng Ninh ".into(),
            parent: Some(code("000.00.00.H49")),
        })
        .await
        .expect("department");
    assert_eq!(dept.name, "Sở Y tế Quảng Ninh", "names are trimmed");
    assert_eq!(dept.code.level(), 2);
    assert_eq!(
        store.agency(&code("000.00.01.H49")).await.expect("read"),
        Some(dept.clone())
    );
    assert_eq!(
        store.agency(&code("000.00.00.G22")).await.expect("read"),
        None
    );
    let all = store.agencies().await.expect("list");
    assert_eq!(all, vec![province.clone(), dept]);
    let history = store.agency_history(&province.code).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].change, AgencyChange::Created);
    assert_eq!(history[0].effective, province.created_at.date_naive());
}

#[tokio::test]
async fn a_taken_code_or_unknown_parent_is_refused() {
    let (store, _db) = fresh().await;
    agency(&store, "000.00.00.H49", "UBND tỉnh Quảng Ninh").await;
    let again = store
        .create_agency(NewAgency {
            code: code("000.00.00.H49"),
            name: "Khác".into(),
            parent: None,
        })
        .await;
    assert_eq!(kind(again), "code_in_use");
    let orphan = store
        .create_agency(NewAgency {
            code: code("000.00.01.H26"),
            name: "Sở Tài chính".into(),
            parent: Some(code("000.00.00.H26")),
        })
        .await;
    let err = orphan.expect_err("unknown parent");
    assert_eq!(err.kind(), "unknown_parent");
    assert!(err.to_string().contains("000.00.00.H26"), "{err}");
    let blank = store
        .create_agency(NewAgency {
            code: code("000.00.00.G22"),
            name: "  ".into(),
            parent: None,
        })
        .await;
    assert_eq!(kind(blank), "invalid_name");
}

#[tokio::test]
async fn merge_dissolves_sources_and_records_both_sides() {
    let (store, _db) = fresh().await;
    agency(&store, "000.00.00.H08", "UBND tỉnh Tuyên Quang").await;
    agency(&store, "000.00.00.H02", "UBND tỉnh Hà Giang").await;
    let effective = day(2025, 7, 1);
    store
        .merge_agencies(&[code("000.00.00.H02")], &code("000.00.00.H08"), effective)
        .await
        .expect("merge");

    let gone = store
        .agency(&code("000.00.00.H02"))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(gone.status, AgencyStatus::Dissolved);
    let kept = store
        .agency(&code("000.00.00.H08"))
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(kept.status, AgencyStatus::Active);

    let h02 = store
        .agency_history(&code("000.00.00.H02"))
        .await
        .expect("history");
    let last = h02.last().expect("events");
    assert_eq!(last.change, AgencyChange::MergedInto(code("000.00.00.H08")));
    assert_eq!(last.effective, effective);
    let h08 = store
        .agency_history(&code("000.00.00.H08"))
        .await
        .expect("history");
    let last = h08.last().expect("events");
    assert_eq!(
        last.change,
        AgencyChange::Absorbed(vec![code("000.00.00.H02")])
    );
    assert_eq!(last.effective, effective);

    // The dissolved code is never given out again, nor changed.
    let reuse = store
        .create_agency(NewAgency {
            code: code("000.00.00.H02"),
            name: "Mới".into(),
            parent: None,
        })
        .await;
    let err = reuse.expect_err("retired");
    assert_eq!(err.kind(), "code_retired");
    assert!(err.to_string().contains("never reused"), "{err}");
    let rename = store
        .rename_agency(&code("000.00.00.H02"), "X", effective)
        .await;
    assert_eq!(kind(rename), "agency_dissolved");
    let again = store
        .merge_agencies(&[code("000.00.00.H02")], &code("000.00.00.H08"), effective)
        .await;
    assert_eq!(kind(again), "agency_dissolved");
}

#[tokio::test]
async fn split_dissolves_the_source_and_records_every_target() {
    let (store, _db) = fresh().await;
    agency(&store, "000.00.01.H49", "Xã A").await;
    agency(&store, "000.00.02.H49", "Phường B").await;
    agency(&store, "000.00.03.H49", "Phường C").await;
    let effective = day(2025, 7, 1);
    let targets = [code("000.00.02.H49"), code("000.00.03.H49")];
    store
        .split_agency(&code("000.00.01.H49"), &targets, effective)
        .await
        .expect("split");

    let history = store
        .agency_history(&code("000.00.01.H49"))
        .await
        .expect("history");
    let last = history.last().expect("events");
    assert_eq!(last.change, AgencyChange::SplitInto(targets.to_vec()));
    assert_eq!(last.effective, effective);
    for target in &targets {
        let history = store.agency_history(target).await.expect("history");
        let last = history.last().expect("events");
        assert_eq!(last.change, AgencyChange::SplitFrom(code("000.00.01.H49")));
        assert_eq!(last.effective, effective);
        let a = store.agency(target).await.expect("read").expect("exists");
        assert_eq!(a.status, AgencyStatus::Active);
    }
    let reuse = store
        .create_agency(NewAgency {
            code: code("000.00.01.H49"),
            name: "Xã A mới".into(),
            parent: None,
        })
        .await;
    assert_eq!(kind(reuse), "code_retired");
}

#[tokio::test]
async fn bad_merges_and_splits_change_nothing() {
    let (store, _db) = fresh().await;
    agency(&store, "000.00.01.H49", "A").await;
    agency(&store, "000.00.02.H49", "B").await;
    let d = day(2026, 1, 1);
    let (a, b) = (code("000.00.01.H49"), code("000.00.02.H49"));
    assert_eq!(
        kind(store.merge_agencies(&[], &a, d).await),
        "invalid_agency_change"
    );
    assert_eq!(
        kind(store.merge_agencies(std::slice::from_ref(&a), &a, d).await),
        "invalid_agency_change"
    );
    assert_eq!(
        kind(store.merge_agencies(&[b.clone(), b.clone()], &a, d).await),
        "invalid_agency_change"
    );
    assert_eq!(
        kind(store.split_agency(&a, std::slice::from_ref(&b), d).await),
        "invalid_agency_change"
    );
    assert_eq!(
        kind(store.split_agency(&a, &[a.clone(), b.clone()], d).await),
        "invalid_agency_change"
    );
    // One unknown agency in the list: the whole merge is refused, B stays active.
    let unknown = code("000.00.09.H49");
    assert_eq!(
        kind(store.merge_agencies(&[b.clone(), unknown], &a, d).await),
        "unknown_agency"
    );
    let b_now = store.agency(&b).await.expect("read").expect("exists");
    assert_eq!(b_now.status, AgencyStatus::Active);
    assert_eq!(store.agency_history(&b).await.expect("history").len(), 1);
}

#[tokio::test]
async fn renames_and_status_changes_are_recorded() {
    let (store, _db) = fresh().await;
    let a = agency(&store, "000.00.00.G22", "Văn phòng Chính phủ").await;
    let effective = day(2026, 3, 1);
    store
        .rename_agency(&a.code, "Văn phòng Chính phủ (mới)", effective)
        .await
        .expect("rename");
    assert_eq!(
        kind(
            store
                .rename_agency(&a.code, "Văn phòng Chính phủ (mới)", effective)
                .await
        ),
        "invalid_agency_change"
    );
    store
        .set_agency_status(&a.code, AgencyStatus::Suspended)
        .await
        .expect("suspend");
    // Already suspended: nothing recorded.
    store
        .set_agency_status(&a.code, AgencyStatus::Suspended)
        .await
        .expect("suspend");
    store
        .set_agency_status(&a.code, AgencyStatus::Active)
        .await
        .expect("reactivate");
    assert_eq!(
        kind(
            store
                .set_agency_status(&a.code, AgencyStatus::Dissolved)
                .await
        ),
        "invalid_agency_change"
    );

    let changes: Vec<AgencyChange> = store
        .agency_history(&a.code)
        .await
        .expect("history")
        .into_iter()
        .map(|e| e.change)
        .collect();
    assert_eq!(changes.len(), 4, "{changes:?}");
    assert!(changes.contains(&AgencyChange::Renamed {
        from: "Văn phòng Chính phủ".into(),
        to: "Văn phòng Chính phủ (mới)".into(),
    }));
    assert_eq!(
        changes
            .iter()
            .filter(|c| **c == AgencyChange::Suspended)
            .count(),
        1
    );
    assert!(changes.contains(&AgencyChange::Reactivated));
    let now = store.agency(&a.code).await.expect("read").expect("exists");
    assert_eq!(now.name, "Văn phòng Chính phủ (mới)");
    assert_eq!(now.status, AgencyStatus::Active);
    assert_eq!(
        kind(store.agency_history(&code("000.00.00.H01")).await),
        "unknown_agency"
    );
}
