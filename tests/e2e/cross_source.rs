//! Joins across the four national databases return exactly the rows the
//! synthetic world says they should, and drive the looked-up source with
//! batched calls (counted at that source's own upstream).

use crate::common::{Answer, commune_with_at_least, decimal, platform, query};
use lgsp_sample_upstream::Source;
use std::collections::HashMap;

/// The answer's cells in `columns` as text (NULL as empty), rows sorted.
fn rows_of(a: &Answer, columns: &[&str]) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<String>> = a
        .rows()
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| decimal(&r[*c]).unwrap_or_default())
                .collect()
        })
        .collect();
    rows.sort();
    rows
}

#[tokio::test]
async fn citizens_of_a_commune_with_their_contribution_history() {
    let (ma_xa, residents) = commune_with_at_least(120);
    let world = &platform().world;
    let mut expected: Vec<Vec<String>> = Vec::new();
    for c in world.residents(&ma_xa) {
        let Some(person) = world.insurance().person_by_citizen(&c.so_dinh_danh) else {
            continue;
        };
        for p in &person.qua_trinh_dong {
            expected.push(vec![
                c.so_dinh_danh.clone(),
                c.ho_ten.clone(),
                p.tu_thang.first_day().to_iso(),
                p.ma_so_doanh_nghiep.clone().unwrap_or_default(),
            ]);
        }
    }
    expected.sort();
    assert!(
        expected.len() > 50,
        "the world should insure many residents"
    );
    let a = query(&format!(
        "SELECT c.so_dinh_danh, c.ho_ten, q.tu_thang, q.ma_so_doanh_nghiep \
         FROM dan_cu.cong_dan c JOIN bhxh.qua_trinh_dong q USING (so_dinh_danh) \
         WHERE c.ma_xa = '{ma_xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        rows_of(
            &a,
            &["so_dinh_danh", "ho_ten", "tu_thang", "ma_so_doanh_nghiep"]
        ),
        expected
    );
    // Batched lookups: a SOAP call carries up to 50 IDs; never one per resident.
    let soap = a.calls_to(Source::Bhxh);
    assert!(!soap.is_empty());
    assert!(
        soap.len() <= residents.div_ceil(50) + 1,
        "{} SOAP calls for {residents} residents",
        soap.len()
    );
}

#[tokio::test]
async fn businesses_of_a_commune_with_their_representatives_in_the_population_register() {
    let world = &platform().world;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for b in world.businesses().units() {
        *counts.entry(b.ma_xa.as_str()).or_default() += 1;
    }
    let (ma_xa, _) = counts
        .iter()
        .max_by_key(|(xa, n)| (**n, std::cmp::Reverse(**xa)))
        .map(|(xa, n)| ((*xa).to_owned(), *n))
        .expect("businesses exist");
    let mut expected: Vec<Vec<String>> = Vec::new();
    for b in world.businesses().in_commune(&ma_xa) {
        for r in &b.nguoi_dai_dien {
            let c = world
                .citizen(&r.so_dinh_danh)
                .expect("representatives are citizens");
            expected.push(vec![
                b.ma_so_doanh_nghiep.clone(),
                r.so_dinh_danh.clone(),
                c.ngay_sinh.to_iso(),
            ]);
        }
    }
    expected.sort();
    assert!(expected.len() >= 3, "{ma_xa}: {expected:?}");
    let a = query(&format!(
        "SELECT d.ma_so_doanh_nghiep, r.so_dinh_danh, c.ngay_sinh \
         FROM doanh_nghiep.doanh_nghiep d \
         JOIN doanh_nghiep.nguoi_dai_dien r USING (ma_so_doanh_nghiep) \
         JOIN dan_cu.cong_dan c USING (so_dinh_danh) \
         WHERE d.ma_xa = '{ma_xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        rows_of(&a, &["ma_so_doanh_nghiep", "so_dinh_danh", "ngay_sinh"]),
        expected
    );
    // The population register answered with batch lookups, not one call per person.
    let population = a.calls_to(Source::DanCu);
    assert!(
        population.len() <= expected.len().div_ceil(100) + 1,
        "{population:?}"
    );
}

#[tokio::test]
async fn land_rights_of_a_commune_with_their_holders() {
    let world = &platform().world;
    let (ma_xa, _) = world
        .land()
        .communes_by_parcel_count()
        .into_iter()
        .next()
        .expect("parcels exist");
    let mut people: Vec<Vec<String>> = Vec::new();
    let mut firms: Vec<Vec<String>> = Vec::new();
    for p in world.land().parcels_in(&ma_xa) {
        for r in &p.quyen_su_dung {
            let sheet = p.so_to_ban_do.to_string();
            let number = p.so_thua.to_string();
            if let Some(id) = r.holder.so_dinh_danh() {
                let c = world.citizen(id).expect("holders are citizens");
                people.push(vec![sheet, number, id.to_owned(), c.ho_ten.clone()]);
            } else if let Some(code) = r.holder.ma_so_doanh_nghiep() {
                let b = world
                    .businesses()
                    .get(code)
                    .expect("holders are businesses");
                firms.push(vec![sheet, number, code.to_owned(), b.ten.clone()]);
            }
        }
    }
    people.sort();
    firms.sort();
    assert!(people.len() > 10, "{ma_xa}");

    let a = query(&format!(
        "SELECT q.so_to_ban_do, q.so_thua, c.so_dinh_danh, c.ho_ten \
         FROM dat_dai.quyen_su_dung q JOIN dan_cu.cong_dan c USING (so_dinh_danh) \
         WHERE q.ma_xa = '{ma_xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        rows_of(&a, &["so_to_ban_do", "so_thua", "so_dinh_danh", "ho_ten"]),
        people
    );
    assert!(a.calls_to(Source::DanCu).len() <= people.len().div_ceil(100) + 1);

    let a = query(&format!(
        "SELECT q.so_to_ban_do, q.so_thua, d.ma_so_doanh_nghiep, d.ten \
         FROM dat_dai.quyen_su_dung q JOIN doanh_nghiep.doanh_nghiep d USING (ma_so_doanh_nghiep) \
         WHERE q.ma_xa = '{ma_xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(
        rows_of(
            &a,
            &["so_to_ban_do", "so_thua", "ma_so_doanh_nghiep", "ten"]
        ),
        firms
    );
}
