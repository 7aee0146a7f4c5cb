//! Grants to policy: the rules of `resolve`, one by one.

use super::*;

#[test]
fn a_schema_grant_covers_every_table_of_the_schema() {
    let p = policy(&[grant("dan_cu", None)]);
    let tables: Vec<&String> = p.schemas["dan_cu"].tables.keys().collect();
    assert_eq!(tables, ["cong_dan", "ho_khau"]);
    assert!(!p.schemas.contains_key("bhxh"));
}

#[test]
fn no_columns_named_means_every_column_but_the_sensitive_ones() {
    let p = policy(&[grant("dan_cu", Some("cong_dan"))]);
    assert_eq!(
        shown(&p, "dan_cu", "cong_dan"),
        ["so_dinh_danh*", "ho_ten", "ma_tinh", "so_bhxh*"]
    );
    assert!(p.table("dan_cu", "ho_khau").is_none());
}

#[test]
fn a_sensitive_column_needs_naming() {
    let named = policy(&[grant("dan_cu", Some("cong_dan")).columns(&["ho_ten", "ton_giao"])]);
    assert_eq!(shown(&named, "dan_cu", "cong_dan"), ["ho_ten", "ton_giao"]);
    let unnamed = policy(&[grant("dan_cu", Some("cong_dan")).columns(&["ho_ten"])]);
    assert_eq!(shown(&unnamed, "dan_cu", "cong_dan"), ["ho_ten"]);
}

#[test]
fn an_identifier_is_masked_unless_cleared() {
    let masked = policy(&[grant("dan_cu", Some("cong_dan")).columns(&["so_dinh_danh"])]);
    assert_eq!(shown(&masked, "dan_cu", "cong_dan"), ["so_dinh_danh*"]);
    let cleared = policy(&[grant("dan_cu", Some("cong_dan")).clear(&["so_dinh_danh"])]);
    assert_eq!(
        shown(&cleared, "dan_cu", "cong_dan"),
        ["so_dinh_danh", "ho_ten", "ma_tinh", "so_bhxh*"]
    );
    // Clearing is not granting: a column no grant gives stays out.
    let not_granted = policy(&[grant("dan_cu", Some("cong_dan"))
        .columns(&["ho_ten"])
        .clear(&["so_dinh_danh"])]);
    assert_eq!(shown(&not_granted, "dan_cu", "cong_dan"), ["ho_ten"]);
}

#[test]
fn grants_add_up_and_a_column_is_clear_if_any_grant_clears_it() {
    let p = policy(&[
        grant("dan_cu", Some("cong_dan")).columns(&["so_dinh_danh", "ho_ten"]),
        grant("dan_cu", Some("cong_dan"))
            .columns(&["so_dinh_danh", "ton_giao"])
            .clear(&["so_dinh_danh"]),
        grant("bhxh", Some("the_bhyt")),
    ]);
    assert_eq!(
        shown(&p, "dan_cu", "cong_dan"),
        ["so_dinh_danh", "ho_ten", "ton_giao"]
    );
    assert_eq!(shown(&p, "bhxh", "the_bhyt"), ["so_the*", "so_dinh_danh"]);
}

#[test]
fn row_filters_of_several_grants_are_or_ed() {
    let p = policy(&[
        grant("dan_cu", Some("cong_dan")).filter("ma_tinh = '01'"),
        grant("dan_cu", None).filter("ma_tinh = '79' -- Hồ Chí Minh"),
        grant("dan_cu", Some("cong_dan")).filter("ma_tinh = '01'"),
    ]);
    assert_eq!(
        p.table("dan_cu", "cong_dan")
            .and_then(|t| t.row_filter.clone()),
        Some("(ma_tinh = '01'\n) OR (ma_tinh = '79' -- Hồ Chí Minh\n)".to_owned())
    );
    // ho_khau is covered by the schema grant alone.
    assert_eq!(
        p.table("dan_cu", "ho_khau")
            .and_then(|t| t.row_filter.clone()),
        Some("ma_tinh = '79' -- Hồ Chí Minh".to_owned())
    );
}

#[test]
fn a_grant_without_a_row_filter_lifts_the_others() {
    let p = policy(&[
        grant("dan_cu", Some("cong_dan")).filter("ma_tinh = '01'"),
        grant("dan_cu", None).columns(&["ho_ten"]),
    ]);
    assert_eq!(
        p.table("dan_cu", "cong_dan").map(|t| &t.row_filter),
        Some(&None)
    );
}

#[test]
fn grants_with_different_row_filters_give_only_what_each_gives() {
    // A: the ID in the clear, province 01 only. B: names, every row. Their
    // union would show every province's IDs in the clear.
    let p = policy(&[
        grant("dan_cu", Some("cong_dan"))
            .columns(&["so_dinh_danh", "ho_ten"])
            .clear(&["so_dinh_danh"])
            .filter("ma_tinh = '01'"),
        grant("dan_cu", Some("cong_dan")).columns(&["so_dinh_danh", "ho_ten", "ma_tinh"]),
    ]);
    assert_eq!(shown(&p, "dan_cu", "cong_dan"), ["so_dinh_danh*", "ho_ten"]);
    // The same filter on both: they cover the same rows and add up.
    let same = policy(&[
        grant("dan_cu", Some("cong_dan"))
            .columns(&["so_dinh_danh"])
            .clear(&["so_dinh_danh"])
            .filter("ma_tinh = '01'"),
        grant("dan_cu", Some("cong_dan"))
            .columns(&["ho_ten"])
            .filter("ma_tinh = '01'"),
    ]);
    assert_eq!(
        shown(&same, "dan_cu", "cong_dan"),
        ["so_dinh_danh", "ho_ten"]
    );
}

#[test]
fn a_filter_that_is_not_whole_on_its_own_is_never_merged() {
    // Alone this does not parse; OR-ed as text it would turn into `... OR (TRUE)`.
    let p = policy(&[
        grant("dan_cu", Some("cong_dan")).filter("ma_tinh = '01') OR (TRUE"),
        grant("dan_cu", Some("cong_dan")).filter("ma_tinh = '79'"),
    ]);
    assert_eq!(
        p.table("dan_cu", "cong_dan")
            .and_then(|t| t.row_filter.clone()),
        Some("ma_tinh = '01') OR (TRUE".to_owned())
    );
}

#[test]
fn unknown_names_are_ignored_and_never_widen_access() {
    let p = policy(&[
        grant("khong_co", None),
        grant("dan_cu", Some("khong_co")),
        grant("dan_cu", Some("cong_dan"))
            .columns(&["ho_ten", "cot_da_xoa"])
            .clear(&["cot_da_xoa"])
            .filter("ma_tinh = '01'"),
        // Gives no existing column, so its missing row filter must not count.
        grant("dan_cu", Some("cong_dan")).columns(&["cot_da_xoa"]),
        grant(CATALOG_SCHEMA, None),
    ]);
    assert_eq!(p.schemas.keys().collect::<Vec<_>>(), ["dan_cu"]);
    assert_eq!(
        p.schemas["dan_cu"].tables.keys().collect::<Vec<_>>(),
        ["cong_dan"]
    );
    assert_eq!(shown(&p, "dan_cu", "cong_dan"), ["ho_ten"]);
    assert_eq!(
        p.table("dan_cu", "cong_dan")
            .and_then(|t| t.row_filter.clone()),
        Some("ma_tinh = '01'".to_owned())
    );
    assert_eq!(policy(&[]), Policy::default());
}
