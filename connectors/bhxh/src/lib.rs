//! Connector for the social insurance database (Bảo hiểm xã hội Việt Nam), a
//! SOAP 1.1 web service with WS-Security `UsernameToken` authentication.
//!
//! Serves three tables, each looked up by `ma_so_bhxh` or `so_dinh_danh` (`=`
//! or `IN`), and `the_bhyt` also by card number `ma_the`:
//!
//! * `nguoi_tham_gia`: insured persons;
//! * `qua_trinh_dong`: contribution history, one row per period;
//! * `the_bhyt`: health-insurance cards.
//!
//! IN-lists are sent [`upstream::MAX_KEYS`] keys per SOAP call (the service's
//! cap). Wire values are normalized: gender 1/0 → `gioi_tinh`, `yyyyMMdd` and
//! `MM/yyyy` → `DATE`, contribution kinds by name → `loai_dong_bhxh`, pre-2025
//! province codes → 2025 codes.
//!
//! Configuration: `base_url`, `username`, `password`, optional `timeout_ms`.

mod normalize;
mod soap;
mod upstream;
mod validate;

use lgsp_guest::{
    BatchSource, Column, Connector, Dependency, Description, Error, FilterOp, Health, PersonalData,
    Result, ScanRequest, Table,
};
use soap::{Expect, KeyList};
use upstream::Operation;

/// The social insurance connector.
pub struct Bhxh;

/// Insured persons.
pub const NGUOI_THAM_GIA: &str = "nguoi_tham_gia";
/// Contribution history.
pub const QUA_TRINH_DONG: &str = "qua_trinh_dong";
/// Health-insurance cards.
pub const THE_BHYT: &str = "the_bhyt";

const KEYS: &[FilterOp] = &[FilterOp::Eq, FilterOp::InList];

fn ma_so_bhxh() -> Column {
    Column::text("ma_so_bhxh", "Mã số BHXH (10 chữ số)")
        .not_null()
        .personal(PersonalData::Identifier)
}

fn so_dinh_danh() -> Column {
    Column::text("so_dinh_danh", "Số định danh cá nhân (12 chữ số)")
        .personal(PersonalData::Identifier)
}

fn nguoi_tham_gia() -> Table {
    use PersonalData::Basic;
    Table::new(
        NGUOI_THAM_GIA,
        "Người tham gia bảo hiểm xã hội, bảo hiểm y tế",
    )
    .column(ma_so_bhxh())
    .column(so_dinh_danh())
    .column(Column::text("ho_ten", "Họ và tên").personal(Basic))
    .column(Column::date("ngay_sinh", "Ngày sinh").personal(Basic))
    .column(
        Column::text("gioi_tinh", "Giới tính (mã danh mục gioi_tinh)")
            .personal(Basic)
            .catalog("gioi_tinh"),
    )
    .column(
        Column::text("ma_tinh", "Tỉnh quản lý hồ sơ (mã từ 01/07/2025)")
            .personal(Basic)
            .catalog("dvhc_tinh"),
    )
    .column(Column::date("ngay_cap_so", "Ngày cấp mã số BHXH").personal(Basic))
    .access_path(&[("ma_so_bhxh", KEYS)])
    .access_path(&[("so_dinh_danh", KEYS)])
}

fn qua_trinh_dong() -> Table {
    use PersonalData::{Basic, Sensitive};
    Table::new(
        QUA_TRINH_DONG,
        "Quá trình đóng bảo hiểm xã hội: mỗi dòng một giai đoạn đóng",
    )
    .column(ma_so_bhxh())
    .column(so_dinh_danh())
    .column(
        Column::date("tu_thang", "Từ tháng (ngày đầu tháng)")
            .not_null()
            .personal(Basic),
    )
    .column(
        Column::date(
            "den_thang",
            "Đến tháng (ngày đầu tháng); trống khi đang đóng",
        )
        .personal(Basic),
    )
    .column(
        Column::text(
            "ma_so_doanh_nghiep",
            "Mã số doanh nghiệp của đơn vị sử dụng lao động; trống khi đóng tự nguyện",
        )
        .personal(Basic),
    )
    .column(Column::text("ten_don_vi", "Tên đơn vị sử dụng lao động").personal(Basic))
    .column(
        Column::decimal(
            "muc_luong",
            18,
            0,
            "Mức lương, thu nhập làm căn cứ đóng (VND/tháng)",
        )
        .personal(Sensitive),
    )
    .column(
        Column::text(
            "ma_loai_dong",
            "Loại hình đóng (mã danh mục loai_dong_bhxh)",
        )
        .personal(Basic)
        .catalog("loai_dong_bhxh"),
    )
    .access_path(&[("ma_so_bhxh", KEYS)])
    .access_path(&[("so_dinh_danh", KEYS)])
}

fn the_bhyt() -> Table {
    use PersonalData::Basic;
    Table::new(THE_BHYT, "Thẻ bảo hiểm y tế")
        .column(
            Column::text(
                "ma_the",
                "Mã thẻ BHYT (15 ký tự: đối tượng, mức hưởng, tỉnh, mã số BHXH)",
            )
            .not_null()
            .personal(PersonalData::Identifier),
        )
        .column(ma_so_bhxh())
        .column(so_dinh_danh())
        .column(Column::text("ho_ten", "Họ và tên chủ thẻ").personal(Basic))
        .column(
            Column::text("ma_doi_tuong", "Mã đối tượng (danh mục doi_tuong_bhyt)")
                .personal(Basic)
                .catalog("doi_tuong_bhyt"),
        )
        .column(Column::text("muc_huong", "Mức hưởng (1 đến 5)").personal(Basic))
        .column(Column::date("gia_tri_tu", "Giá trị sử dụng từ ngày").personal(Basic))
        .column(Column::date("gia_tri_den", "Giá trị sử dụng đến ngày").personal(Basic))
        .column(
            Column::text(
                "ma_noi_dang_ky_kcb",
                "Mã nơi đăng ký khám chữa bệnh ban đầu",
            )
            .personal(Basic),
        )
        .access_path(&[("ma_the", KEYS)])
        .access_path(&[("ma_so_bhxh", KEYS)])
        .access_path(&[("so_dinh_danh", KEYS)])
}

static PERSONS: Operation = Operation {
    expect: Expect {
        operation: "TraCuuNguoiThamGia",
        list: "DanhSachNguoiThamGia",
        item: "NguoiThamGia",
    },
    to_batch: upstream::persons_batch,
};

static HISTORY: Operation = Operation {
    expect: Expect {
        operation: "TraCuuQuaTrinhDong",
        list: "DanhSachQuaTrinh",
        item: "QuaTrinh",
    },
    to_batch: upstream::history_batch,
};

static CARDS: Operation = Operation {
    expect: Expect {
        operation: "TraCuuTheBhyt",
        list: "DanhSachThe",
        item: "TheBhyt",
    },
    to_batch: upstream::cards_batch,
};

/// The key column and wire list of each access path, in declaration order.
fn key_of(table: &str, access_path: usize) -> Option<(&'static str, KeyList)> {
    const BY_NUMBER: (&str, KeyList) = (
        "ma_so_bhxh",
        KeyList {
            list: "DanhSachMaSoBhxh",
            item: "MaSoBhxh",
        },
    );
    const BY_ID: (&str, KeyList) = (
        "so_dinh_danh",
        KeyList {
            list: "DanhSachSoDinhDanh",
            item: "SoDinhDanh",
        },
    );
    const BY_CARD: (&str, KeyList) = (
        "ma_the",
        KeyList {
            list: "DanhSachMaThe",
            item: "MaThe",
        },
    );
    match (table, access_path) {
        (NGUOI_THAM_GIA | QUA_TRINH_DONG, 0) | (THE_BHYT, 1) => Some(BY_NUMBER),
        (NGUOI_THAM_GIA | QUA_TRINH_DONG, 1) | (THE_BHYT, 2) => Some(BY_ID),
        (THE_BHYT, 0) => Some(BY_CARD),
        _ => None,
    }
}

impl Connector for Bhxh {
    fn describe() -> Description {
        Description::new(
            "bhxh",
            env!("CARGO_PKG_VERSION"),
            "Cơ sở dữ liệu quốc gia về bảo hiểm (Bảo hiểm xã hội Việt Nam)",
        )
        .table(nguoi_tham_gia())
        .table(qua_trinh_dong())
        .table(the_bhyt())
    }

    fn scan(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
        let table = request.table_name().to_owned();
        let operation = match table.as_str() {
            NGUOI_THAM_GIA => &PERSONS,
            QUA_TRINH_DONG => &HISTORY,
            THE_BHYT => &CARDS,
            other => return Err(Error::bad_request(format!("bhxh has no table {other}"))),
        };
        let Some((column, key)) = request.access_path().and_then(|p| key_of(&table, p)) else {
            let keys = if table == THE_BHYT {
                "ma_the, ma_so_bhxh or so_dinh_danh"
            } else {
                "ma_so_bhxh or so_dinh_danh"
            };
            return Err(Error::bad_request(format!(
                "{table} needs {keys} (= or IN) in the WHERE clause"
            )));
        };
        // Several filters on the key intersect; an empty intersection is an
        // empty answer, not an error.
        let keys = request.text_values(column)?.unwrap_or_default();
        validate::keys(column, &keys)?;
        if keys.is_empty() {
            return Ok(lgsp_guest::source::empty());
        }
        let api = upstream::Api::from_config()?;
        Ok(upstream::lookup(api, request, operation, key, keys))
    }

    fn health() -> Health {
        Health::new().dependency(Dependency::check("bhxh-tra-cuu", || {
            upstream::Api::from_config()?.health()
        }))
    }
}

lgsp_guest::export!(Bhxh);

#[cfg(test)]
mod tests {
    use super::*;
    use lgsp_guest::testing::{in_text, scan_request, scan_request_with};
    use soap::{NS, SOAP_NS};

    fn wrap(operation: &str, list: &str, items: &str) -> Vec<u8> {
        format!(
            "<soap:Envelope xmlns:soap=\"{SOAP_NS}\"><soap:Body><{operation}Response xmlns=\"{NS}\">\
             <KetQua><MaKetQua>00</MaKetQua><ThongDiep>Thành công</ThongDiep></KetQua>\
             <{list}>{items}</{list}></{operation}Response></soap:Body></soap:Envelope>"
        )
        .into_bytes()
    }

    fn records(op: &Operation, items: &str) -> Vec<soap::Record> {
        let e = op.expect;
        soap::parse_response(&wrap(e.operation, e.list, items), e).expect("parses")
    }

    fn column<'b>(batch: &'b lgsp_guest::RecordBatch, name: &str) -> &'b dyn arrow_array::Array {
        batch.column_by_name(name).expect("column").as_ref()
    }

    /// The first row's value of text column `name`.
    fn first_text(batch: &lgsp_guest::RecordBatch, name: &str) -> String {
        column(batch, name)
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .expect("text")
            .value(0)
            .to_owned()
    }

    #[test]
    fn describes_three_tables_with_in_list_keys() {
        let d = Bhxh::describe();
        for t in [NGUOI_THAM_GIA, QUA_TRINH_DONG, THE_BHYT] {
            assert!(d.find_table(t).is_some(), "{t}");
        }
        assert_eq!(key_of(THE_BHYT, 0).map(|k| k.0), Some("ma_the"));
        assert_eq!(key_of(QUA_TRINH_DONG, 1).map(|k| k.0), Some("so_dinh_danh"));
        assert_eq!(key_of(NGUOI_THAM_GIA, 2), None);
    }

    #[test]
    fn maps_a_person() {
        let items = "<NguoiThamGia><MaSoBhxh>0212345678</MaSoBhxh><SoDinhDanh>002185012345</SoDinhDanh>\
                     <HoTen>Lê Thị Hoa</HoTen><NgaySinh>19850315</NgaySinh><GioiTinh>0</GioiTinh>\
                     <MaTinh>02</MaTinh><NgayCapSo>20080401</NgayCapSo></NguoiThamGia>";
        let req = scan_request(
            &nguoi_tham_gia(),
            &["ma_so_bhxh", "ho_ten", "ngay_sinh", "gioi_tinh", "ma_tinh"],
        );
        let batch = upstream::persons_batch(&req, &records(&PERSONS, items)).expect("maps");
        assert_eq!(batch.num_rows(), 1);
        let text = |name| first_text(&batch, name);
        assert_eq!(text("gioi_tinh"), "2");
        // Hà Giang (02) became part of Tuyên Quang (08) on 2025-07-01.
        assert_eq!(text("ma_tinh"), "08");
        let dates = column(&batch, "ngay_sinh")
            .as_any()
            .downcast_ref::<arrow_array::Date32Array>()
            .expect("date")
            .value(0);
        assert_eq!(
            Some(lgsp_guest::Date::from_days_since_epoch(dates)),
            lgsp_guest::Date::from_ymd(1985, 3, 15)
        );
    }

    #[test]
    fn maps_history_with_open_periods_and_decimal_salaries() {
        let items = "<QuaTrinh><MaSoBhxh>0212345678</MaSoBhxh><SoDinhDanh>002185012345</SoDinhDanh>\
                     <TuThang>01/2015</TuThang><DenThang>06/2018</DenThang><MaDonVi>0100233488</MaDonVi>\
                     <TenDonVi>CÔNG TY A &amp; B</TenDonVi><MucLuong>8500000</MucLuong>\
                     <LoaiDong>Bảo hiểm xã hội bắt buộc</LoaiDong></QuaTrinh>\
                     <QuaTrinh><MaSoBhxh>0212345678</MaSoBhxh><SoDinhDanh>002185012345</SoDinhDanh>\
                     <TuThang>07/2018</TuThang><DenThang/><MucLuong>5200000</MucLuong>\
                     <LoaiDong>Bảo hiểm xã hội tự nguyện</LoaiDong></QuaTrinh>";
        let req = scan_request(
            &qua_trinh_dong(),
            &[
                "tu_thang",
                "den_thang",
                "ma_so_doanh_nghiep",
                "ten_don_vi",
                "muc_luong",
                "ma_loai_dong",
            ],
        );
        let batch = upstream::history_batch(&req, &records(&HISTORY, items)).expect("maps");
        assert_eq!(batch.num_rows(), 2);
        let den = column(&batch, "den_thang");
        assert!(den.is_valid(0) && den.is_null(1));
        assert!(column(&batch, "ma_so_doanh_nghiep").is_null(1));
        let salary = column(&batch, "muc_luong")
            .as_any()
            .downcast_ref::<arrow_array::Decimal128Array>()
            .expect("decimal");
        assert_eq!((salary.value(0), salary.value(1)), (8_500_000, 5_200_000));
        let kinds = column(&batch, "ma_loai_dong")
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .expect("text");
        assert_eq!((kinds.value(0), kinds.value(1)), ("01", "02"));
        let names = column(&batch, "ten_don_vi")
            .as_any()
            .downcast_ref::<arrow_array::StringArray>()
            .expect("text");
        assert_eq!(names.value(0), "CÔNG TY A & B");
    }

    #[test]
    fn unknown_values_and_missing_keys_are_upstream_errors() {
        let req = scan_request(&qua_trinh_dong(), &["ma_loai_dong"]);
        let items = "<QuaTrinh><MaSoBhxh>0212345678</MaSoBhxh><TuThang>01/2015</TuThang>\
                     <MucLuong>1</MucLuong><LoaiDong>Bảo hiểm nhân thọ</LoaiDong></QuaTrinh>";
        let e = upstream::history_batch(&req, &records(&HISTORY, items)).expect_err("unknown kind");
        assert_eq!(e.kind(), lgsp_guest::ErrorKind::UpstreamError);
        assert!(e.message().contains("loai_dong_bhxh"), "{e}");
        let items = "<QuaTrinh><TuThang>01/2015</TuThang></QuaTrinh>";
        let e = upstream::history_batch(&req, &records(&HISTORY, items)).expect_err("no key");
        assert!(e.message().contains("could not be read"), "{e}");
    }

    #[test]
    fn maps_a_card() {
        let items = "<TheBhyt><MaThe>TE1010112345678</MaThe><MaSoBhxh>0112345678</MaSoBhxh>\
                     <SoDinhDanh>001223012345</SoDinhDanh><HoTen>Trần An</HoTen><MaDoiTuong>TE</MaDoiTuong>\
                     <MucHuong>1</MucHuong><GiaTriTu>20220301</GiaTriTu><GiaTriDen>20280229</GiaTriDen>\
                     <NoiDangKyKcb><MaCoSo>01012</MaCoSo><TenCoSo>Trạm y tế</TenCoSo></NoiDangKyKcb></TheBhyt>";
        let req = scan_request(
            &the_bhyt(),
            &["ma_the", "ma_doi_tuong", "muc_huong", "ma_noi_dang_ky_kcb"],
        );
        let batch = upstream::cards_batch(&req, &records(&CARDS, items)).expect("maps");
        let text = |name| first_text(&batch, name);
        assert_eq!(text("ma_doi_tuong"), "TE");
        assert_eq!(text("muc_huong"), "1");
        assert_eq!(text("ma_noi_dang_ky_kcb"), "01012");
    }

    #[test]
    fn in_lists_reach_the_validator() {
        let req = scan_request_with(
            &the_bhyt(),
            &["ma_the"],
            vec![in_text("ma_the", &["TE1010112345678", "XX"])],
            None,
        );
        let keys = req.text_values("ma_the").expect("text").expect("some");
        let e = validate::keys("ma_the", &keys).expect_err("bad second card");
        assert!(e.message().contains("value 2 of 2"), "{e}");
    }
}
