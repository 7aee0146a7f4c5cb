//! The catalogs LGSP ships (written from public facts in `lgsp-catalogs`),
//! written into an empty database on first start. A catalog that already
//! exists is left alone: once there, admins own it.

use super::{CatalogError, CatalogService, ImportSpec};
use chrono::NaiveDate;
use lgsp_catalogs::{CatalogDef, CodeList, CrosswalkEntry, Item, MappingKind};

/// Owner of the administrative-unit lists (the GSO, under the Ministry of
/// Finance since 2025). Agency codes replace these names with the agency
/// registry.
const GSO: &str = "Cục Thống kê (Bộ Tài chính)";
/// Owner of lists whose codes the project defined until an official list is
/// imported.
const PROJECT: &str = "LGSP (mã do dự án đặt, chờ danh mục chính thức)";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// The earliest date the platform gives lists with no known history.
fn beginning() -> NaiveDate {
    day(1900, 1, 1)
}

fn items(list: &CodeList, attribute: Option<&str>, level: Option<&str>) -> Vec<Item> {
    list.items()
        .iter()
        .map(|i| Item {
            code: i.code.clone(),
            name: i.name.clone(),
            parent: None,
            level: level.map(str::to_owned),
            attributes: match (attribute, &i.extra) {
                (Some(name), Some(value)) => [(name.to_owned(), value.clone())].into(),
                _ => Default::default(),
            },
        })
        .collect()
}

struct Shipped {
    code: &'static str,
    name: &'static str,
    owner: &'static str,
    description: &'static str,
    list: fn() -> &'static CodeList,
    attribute: Option<&'static str>,
}

const FLAT: &[Shipped] = &[
    Shipped {
        code: "gioi_tinh",
        name: "Giới tính",
        owner: GSO,
        description: "1 = Nam, 2 = Nữ, as in civil-status records.",
        list: lgsp_catalogs::genders,
        attribute: None,
    },
    Shipped {
        code: "dan_toc",
        name: "Dân tộc",
        owner: GSO,
        description: "The 54 ethnic groups, GSO codes (QĐ 121-TCTK/PPCĐ 1979, kept by QĐ 1019/QĐ-TCTK 2008).",
        list: lgsp_catalogs::ethnic_groups,
        attribute: None,
    },
    Shipped {
        code: "quoc_tich",
        name: "Quốc tịch",
        owner: "LGSP (theo ISO 3166-1)",
        description: "Nationalities: ISO 3166-1 alpha-2 codes with Vietnamese names (Unicode CLDR).",
        list: lgsp_catalogs::nationalities,
        attribute: None,
    },
    Shipped {
        code: "loai_hinh_doanh_nghiep",
        name: "Loại hình doanh nghiệp",
        owner: PROJECT,
        description: "Business types under the Law on Enterprises 2020.",
        list: lgsp_catalogs::business_types,
        attribute: None,
    },
    Shipped {
        code: "trang_thai_doanh_nghiep",
        name: "Tình trạng pháp lý doanh nghiệp",
        owner: PROJECT,
        description: "Legal status of a business.",
        list: lgsp_catalogs::business_statuses,
        attribute: None,
    },
    Shipped {
        code: "loai_dat",
        name: "Loại đất",
        owner: "Bộ Nông nghiệp và Môi trường",
        description: "Land-use types (Thông tư 08/2024/TT-BTNMT); attribute nhom is the group (NNP, PNN, CSD).",
        list: lgsp_catalogs::land_use_types,
        attribute: Some("nhom"),
    },
    Shipped {
        code: "loai_dong_bhxh",
        name: "Loại đóng bảo hiểm",
        owner: PROJECT,
        description: "Kinds of social insurance contribution.",
        list: lgsp_catalogs::contribution_types,
        attribute: None,
    },
    Shipped {
        code: "doi_tuong_bhyt",
        name: "Đối tượng tham gia bảo hiểm y tế",
        owner: "Bảo hiểm xã hội Việt Nam",
        description: "Beneficiary codes printed on health-insurance cards; attribute muc_huong is the usual benefit level 1-5.",
        list: lgsp_catalogs::health_card_beneficiaries,
        attribute: Some("muc_huong"),
    },
];

fn def(
    code: &str,
    name: &str,
    owner: &str,
    description: &str,
    attribute: Option<&str>,
) -> CatalogDef {
    CatalogDef {
        code: code.to_owned(),
        name: name.to_owned(),
        owner_agency: owner.to_owned(),
        description: description.to_owned(),
        attributes: attribute.map(|a| vec![a.to_owned()]).unwrap_or_default(),
        parent_catalog: None,
    }
}

/// Writes every shipped catalog the database does not have yet.
pub(crate) async fn seed(service: &CatalogService) -> Result<(), CatalogError> {
    let existing: std::collections::HashSet<String> = service
        .store
        .catalogs()
        .await?
        .into_iter()
        .map(|c| c.code)
        .collect();
    if !existing.contains("dvhc_tinh") {
        seed_provinces(service).await?;
    }
    if !existing.contains("dvhc_xa") {
        service
            .store
            .create_catalog(&CatalogDef {
                parent_catalog: Some("dvhc_tinh".into()),
                ..def(
                    "dvhc_xa",
                    "Đơn vị hành chính cấp xã",
                    GSO,
                    "Communes, wards and special zones. Not shipped: there are thousands and they change; import the GSO list (lgsp catalog import).",
                    None,
                )
            })
            .await?;
    }
    for s in FLAT {
        if existing.contains(s.code) {
            continue;
        }
        service
            .store
            .create_catalog(&def(s.code, s.name, s.owner, s.description, s.attribute))
            .await?;
        let items = items((s.list)(), s.attribute, None);
        service
            .import_items(
                s.code,
                &ImportSpec {
                    version: "1".into(),
                    valid_from: beginning(),
                    valid_to: None,
                    source: "shipped".into(),
                    publish: true,
                },
                items,
                None,
            )
            .await?;
    }
    Ok(())
}

async fn seed_provinces(service: &CatalogService) -> Result<(), CatalogError> {
    service
        .store
        .create_catalog(&def(
            "dvhc_tinh",
            "Đơn vị hành chính cấp tỉnh",
            GSO,
            "Provinces and centrally-run cities: 63 from 2008-08-01, 34 from 2025-07-01 (Nghị quyết 202/2025/QH15), with the crosswalk between them.",
            None,
        ))
        .await?;
    let old = lgsp_catalogs::provinces_2008();
    service
        .import_items(
            "dvhc_tinh",
            &ImportSpec {
                version: "2008-08-01".into(),
                valid_from: day(2008, 8, 1),
                valid_to: Some(day(2025, 6, 30)),
                source: "shipped".into(),
                publish: true,
            },
            items(old, None, Some("tinh")),
            None,
        )
        .await?;
    service
        .import_items(
            "dvhc_tinh",
            &ImportSpec {
                version: "2025-07-01".into(),
                valid_from: day(2025, 7, 1),
                valid_to: None,
                source: "shipped".into(),
                publish: true,
            },
            items(lgsp_catalogs::provinces_2025(), None, Some("tinh")),
            None,
        )
        .await?;
    // Every province merge of 2025 took whole provinces (NQ 202/2025/QH15).
    let entries: Vec<CrosswalkEntry> = old
        .items()
        .iter()
        .filter_map(|i| {
            Some(CrosswalkEntry {
                old_code: i.code.clone(),
                new_code: i.extra.clone()?,
                mapping: MappingKind::Full,
            })
        })
        .collect();
    service
        .write_crosswalk("dvhc_tinh", "2008-08-01", "2025-07-01", "shipped", entries)
        .await
}
