//! The masking rule itself.

use super::*;

#[test]
fn the_mask_keeps_three_at_each_end_of_ten_or_more() {
    assert_eq!(mask("001085012345"), "001******345");
    assert_eq!(mask("0123456789"), "012****789");
    assert_eq!(mask("012345678"), "*********");
    assert_eq!(mask("1"), "*");
    assert_eq!(mask(""), "");
    // Characters, not bytes.
    assert_eq!(mask("Nguyễn Văn An"), "Ngu******* An");
    assert_eq!(mask("Đỗ Thị Ư"), "********");
    assert_eq!(mask("ĐĐĐĐĐĐĐĐĐĐ"), "ĐĐĐ****ĐĐĐ");
}

#[test]
fn the_mask_of_an_array_keeps_nulls_and_casts_other_types() {
    let masked = mask_array(&text(&[Some("001085012345"), None, Some("abc")])).expect("masks");
    let masked = as_string_array(&masked);
    assert_eq!(masked.value(0), "001******345");
    assert!(masked.is_null(1));
    assert_eq!(masked.value(2), "***");
    let numbers: ArrayRef = Arc::new(Int64Array::from(vec![Some(1_234_567_890), None, Some(42)]));
    let masked = mask_array(&numbers).expect("masks");
    let masked = as_string_array(&masked);
    assert_eq!(masked.value(0), "123****890");
    assert!(masked.is_null(1));
    assert_eq!(masked.value(2), "**");
}
