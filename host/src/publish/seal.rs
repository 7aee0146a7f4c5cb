//! Configuration values sealed with the registry's [`Sealer`] under their own
//! key (derived from the master key for this purpose), bound to their
//! connector and key so a sealed value copied to another row does not open.

use super::PublishError;
use lgsp_access::{MasterKey, Sealer};

/// The purpose whose derived key seals connector configuration.
const PURPOSE: &str = "lgsp connector configuration v1";

/// Seals and opens configuration values.
#[derive(Debug, Clone)]
pub(crate) struct ConfigSealer(Sealer);

fn context(name: &str, key: &str) -> String {
    format!("{name}/{key}")
}

impl ConfigSealer {
    pub(crate) fn new(master: &MasterKey) -> Self {
        Self(Sealer::for_purpose(master, PURPOSE))
    }

    pub(crate) fn seal(&self, name: &str, key: &str, value: &str) -> Result<Vec<u8>, PublishError> {
        self.0
            .seal(&context(name, key), value.as_bytes())
            .map_err(|e| PublishError::Corrupt(format!("cannot seal {key} of {name}: {e}")))
    }

    pub(crate) fn open(
        &self,
        name: &str,
        key: &str,
        sealed: &[u8],
    ) -> Result<String, PublishError> {
        let unreadable = || {
            PublishError::Corrupt(format!(
                "configuration value {key} of {name} cannot be opened with this master key"
            ))
        };
        let plain = self
            .0
            .open(&context(name, key), sealed)
            .map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_for_its_connector_and_key() {
        let master = MasterKey::generate();
        let s = ConfigSealer::new(&master);
        let sealed = s.seal("dan_cu", "api_key", "bí mật").unwrap_or_default();
        assert!(!sealed.windows(3).any(|w| w == b"b\xc3\xad"));
        assert_eq!(
            s.open("dan_cu", "api_key", &sealed).ok().as_deref(),
            Some("bí mật")
        );
        assert!(s.open("dan_cu", "other", &sealed).is_err());
        assert!(s.open("bhxh", "api_key", &sealed).is_err());
        assert!(
            ConfigSealer::new(&MasterKey::generate())
                .open("dan_cu", "api_key", &sealed)
                .is_err()
        );
    }
}
