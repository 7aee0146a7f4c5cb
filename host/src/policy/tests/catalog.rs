//! The catalog holds only what is granted.

use super::*;

#[tokio::test]
async fn an_ungranted_table_does_not_exist() {
    let f = Fixture::new(&policy(&[grant("dan_cu", Some("cong_dan"))]));
    let e = f.err("SELECT * FROM dan_cu.ho_khau").await;
    assert!(e.contains("not found"), "{e}");
    let e = f.err("SELECT * FROM bhxh.the_bhyt").await;
    assert!(e.contains("not found"), "{e}");
    assert_eq!(f.ok("SELECT count(*) FROM dan_cu.cong_dan").await, ["5"]);
    let tables = f
        .sorted(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables \
             WHERE table_schema <> 'information_schema'",
        )
        .await;
    assert_eq!(tables, ["dan_cu.cong_dan"]);
}

#[tokio::test]
async fn an_ungranted_column_is_not_in_the_table() {
    let f = Fixture::new(&policy(&[
        grant("dan_cu", Some("cong_dan")).columns(&["ho_ten", "ma_tinh"])
    ]));
    for column in ["ton_giao", "so_dinh_danh", "so_bhxh"] {
        let e = f
            .err(&format!("SELECT {column} FROM dan_cu.cong_dan"))
            .await;
        assert!(e.contains(column), "{e}");
        let e = f
            .err(&format!(
                "SELECT ho_ten FROM dan_cu.cong_dan WHERE {column} IS NOT NULL"
            ))
            .await;
        assert!(e.contains(column), "{e}");
    }
    assert_eq!(
        f.columns("SELECT * FROM dan_cu.cong_dan").await,
        ["ho_ten", "ma_tinh"]
    );
    let columns = f
        .ok("SELECT column_name FROM information_schema.columns \
             WHERE table_name = 'cong_dan' ORDER BY ordinal_position")
        .await;
    assert_eq!(columns, ["ho_ten", "ma_tinh"]);
}

#[tokio::test]
async fn a_masked_column_is_text_in_the_catalog() {
    let f = Fixture::new(&policy(&[grant("dan_cu", Some("cong_dan"))]));
    let types = f
        .ok(
            "SELECT column_name, data_type FROM information_schema.columns \
             WHERE table_name = 'cong_dan' ORDER BY ordinal_position",
        )
        .await;
    assert_eq!(
        types,
        [
            "so_dinh_danh|Utf8",
            "ho_ten|Utf8",
            "ma_tinh|Utf8",
            "so_bhxh|Utf8"
        ]
    );
    assert_eq!(
        f.sorted("SELECT so_bhxh FROM dan_cu.cong_dan").await,
        ["111****111", "123****890", "790****111", "NULL", "NULL"]
    );
}

#[tokio::test]
async fn the_mask_function_cannot_be_called() {
    let f = Fixture::new(&policy(&[grant("dan_cu", Some("cong_dan"))]));
    let e = f.err("SELECT lgsp_mask('001085012345')").await;
    assert!(e.contains("lgsp_mask"), "{e}");
}
