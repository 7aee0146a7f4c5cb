//! Vietnamese name parts with rough real-world frequencies (weights are per mille
//! for family names, relative for the others).

pub(crate) const FAMILY_NAMES: &[(&str, u32)] = &[
    ("Nguyễn", 384),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 71),
    ("Hoàng", 51),
    ("Huỳnh", 30),
    ("Phan", 45),
    ("Vũ", 39),
    ("Võ", 30),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 6),
    ("Đào", 5),
    ("Trương", 5),
    ("Lương", 4),
    ("Mai", 4),
    ("Tạ", 3),
    ("Cao", 3),
    ("Lâm", 3),
];

pub(crate) const MIDDLE_MALE: &[(&str, u32)] = &[
    ("Văn", 40),
    ("Đức", 10),
    ("Minh", 10),
    ("Quốc", 8),
    ("Hữu", 8),
    ("Thanh", 6),
    ("Công", 6),
    ("Xuân", 5),
    ("Ngọc", 4),
    ("Trung", 4),
    ("Hoàng", 4),
    ("Tuấn", 3),
    ("Gia", 3),
];

pub(crate) const MIDDLE_FEMALE: &[(&str, u32)] = &[
    ("Thị", 45),
    ("Ngọc", 10),
    ("Thu", 7),
    ("Thanh", 7),
    ("Minh", 6),
    ("Phương", 5),
    ("Hồng", 5),
    ("Thùy", 5),
    ("Kim", 4),
    ("Mai", 3),
    ("Bảo", 3),
];

pub(crate) const GIVEN_MALE: &[&str] = &[
    "An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Đông", "Giang", "Hải", "Hiếu",
    "Hòa", "Hoàng", "Hùng", "Huy", "Khang", "Khánh", "Khoa", "Kiên", "Lâm", "Long", "Lộc", "Mạnh",
    "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Quang", "Sơn", "Tài", "Tâm", "Thành",
    "Thắng", "Thịnh", "Toàn", "Trung", "Tuấn", "Tùng", "Việt", "Vinh", "Vũ",
];

pub(crate) const GIVEN_FEMALE: &[&str] = &[
    "An", "Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng", "Hương",
    "Huyền", "Lan", "Liên", "Linh", "Loan", "Ly", "Mai", "My", "Nga", "Ngân", "Ngọc", "Nhung",
    "Oanh", "Phương", "Quỳnh", "Tâm", "Thảo", "Thu", "Thủy", "Trang", "Trinh", "Uyên", "Vân", "Vy",
    "Xuân", "Yến",
];

/// Ethnic groups by code with weights that roughly follow the 2019 census
/// (per ten thousand); the long tail shares the remainder.
pub(crate) const ETHNIC_WEIGHTS: &[(&str, u32)] = &[
    ("01", 8532),
    ("02", 193),
    ("03", 184),
    ("04", 131),
    ("05", 136),
    ("06", 77),
    ("07", 118),
    ("08", 129),
    ("09", 93),
    ("10", 53),
    ("12", 41),
    ("13", 30),
    ("14", 22),
    ("17", 18),
];

/// Code of a rare ethnic group, for the remainder of the distribution.
pub(crate) const RARE_ETHNIC: &[&str] = &[
    "11", "15", "16", "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30",
    "31", "32", "33", "34", "35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45", "46",
    "47", "48", "49", "50", "51", "52", "53", "54",
];

pub(crate) const FOREIGN_NATIONALITIES: &[&str] = &["CN", "KR", "JP", "TW", "US", "FR", "LA", "KH"];

pub(crate) const STREET_WORDS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Lý Thường Kiệt",
    "Hai Bà Trưng",
    "Quang Trung",
    "Hùng Vương",
    "Phan Chu Trinh",
    "Điện Biên Phủ",
    "Nguyễn Huệ",
    "Lê Duẩn",
    "Võ Thị Sáu",
];
