//! A sandbox policy as written (CONTRACT §11), by the host
//! (`RuntimeOptions.sandbox`) or by a function's manifest (`sandbox:`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxPolicy {
    /// Readable (and executable) paths; relative = inside the function dir.
    pub read: Vec<String>,
    /// Writable paths besides the call's temp dir.
    pub write: Vec<String>,
    pub network: Network,
}

impl Default for SandboxPolicy {
    fn default() -> Self {
        SandboxPolicy { read: vec!["/".into()], write: Vec::new(), network: Network::Denied }
    }
}

/// TCP access: none (`false`), all (`true`), or connect to these ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Network {
    Denied,
    Allowed,
    Ports(Vec<u16>),
}

impl Network {
    /// The stricter of two: denied < some ports < all; ports intersect.
    pub fn stricter(&self, other: &Network) -> Network {
        match (self, other) {
            (Network::Denied, _) | (_, Network::Denied) => Network::Denied,
            (Network::Allowed, n) | (n, Network::Allowed) => n.clone(),
            (Network::Ports(a), Network::Ports(b)) => {
                Network::Ports(a.iter().filter(|p| b.contains(p)).copied().collect())
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum NetworkForm {
    All(bool),
    Ports(Vec<u16>),
}

impl Serialize for Network {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Network::Denied => NetworkForm::All(false),
            Network::Allowed => NetworkForm::All(true),
            Network::Ports(p) => NetworkForm::Ports(p.clone()),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let ports = |p: Vec<u16>| match p.contains(&0) {
            true => Err(serde::de::Error::custom("sandbox.network: port 0 is not a port")),
            false => Ok(Network::Ports(p)),
        };
        match NetworkForm::deserialize(d)? {
            NetworkForm::All(true) => Ok(Network::Allowed),
            NetworkForm::All(false) => Ok(Network::Denied),
            NetworkForm::Ports(p) => ports(p),
        }
    }
}

/// `RuntimeOptions.sandbox`: `true`, `false` or a policy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxOption(pub Option<SandboxPolicy>);

impl<'de> Deserialize<'de> for SandboxOption {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Form {
            On(bool),
            Policy(SandboxPolicy),
        }
        Ok(SandboxOption(match Option::<Form>::deserialize(d)? {
            None | Some(Form::On(false)) => None,
            Some(Form::On(true)) => Some(SandboxPolicy::default()),
            Some(Form::Policy(p)) => Some(p),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn network_stricter_of_two() {
        let ports = |p: &[u16]| Network::Ports(p.to_vec());
        assert_eq!(Network::Allowed.stricter(&ports(&[443])), ports(&[443]));
        assert_eq!(ports(&[443, 80]).stricter(&ports(&[80, 22])), ports(&[80]));
        assert_eq!(Network::Denied.stricter(&Network::Allowed), Network::Denied);
        assert_eq!(Network::Allowed.stricter(&Network::Allowed), Network::Allowed);
    }

    #[test]
    fn runtime_option_forms() {
        let parse = |s: &str| serde_json::from_str::<SandboxOption>(s).map(|o| o.0);
        assert_eq!(parse("true").unwrap(), Some(SandboxPolicy::default()));
        assert_eq!(parse("false").unwrap(), None);
        assert_eq!(parse("null").unwrap(), None);
        let p = parse(r#"{"write":["/data"],"network":[5432]}"#).unwrap().unwrap();
        assert_eq!(
            (p.read, p.write, p.network),
            (vec!["/".to_string()], vec!["/data".to_string()], Network::Ports(vec![5432]))
        );
        assert!(parse(r#"{"network":[0]}"#).is_err());
        assert!(parse(r#"{"network":[70000]}"#).is_err());
        assert!(parse(r#"{"nework":true}"#).is_err());
    }
}
