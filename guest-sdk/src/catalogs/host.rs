//! Catalog lookups answered by the platform (the contract's `catalogs` import).

use super::{Catalogs, Item, Mapping, Successor};
use crate::bindings::lgsp::connector::catalogs as wit;
use crate::date::Date;

/// The platform's catalogs, as the host holds them. Each call is a host call
/// that costs about as much as a hash lookup.
#[derive(Debug, Clone, Copy, Default)]
pub struct Host;

fn day(d: Date) -> wit::Day {
    d.days_since_epoch()
}

impl Catalogs for Host {
    fn item(&self, catalog: &str, code: &str, as_of: Option<Date>) -> Option<Item> {
        wit::lookup(catalog, code, as_of.map(day)).map(|i| Item {
            code: i.code,
            name: i.name,
            parent: i.parent,
            level: i.level,
        })
    }

    fn code_for(&self, catalog: &str, value: &str, as_of: Option<Date>) -> Option<String> {
        wit::code_for(catalog, value, as_of.map(day))
    }

    fn current_codes(&self, catalog: &str, code: &str, as_of: Date) -> Vec<Successor> {
        wit::current_codes(catalog, code, day(as_of))
            .into_iter()
            .map(|s| Successor {
                code: s.code,
                name: s.name,
                mapping: match s.mapping {
                    wit::MappingKind::Full => Mapping::Full,
                    wit::MappingKind::Partial => Mapping::Partial,
                },
            })
            .collect()
    }
}
