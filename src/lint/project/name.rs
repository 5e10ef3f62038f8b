//! Interned names for module summaries.
//!
//! The summaries of every module stay in memory from phase one until linking, and most of what
//! they hold is qualified names that many modules repeat (`pkg.models.Agent`, `requests.Session`,
//! base classes, import targets). A [`Name`] is one shared copy of such a string: a pointer and a
//! length, with no allocation of its own. The table lives for the process and grows only with
//! distinct names, which are bounded by the code that was scanned.

use rustc_hash::FxHashSet;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::{Mutex, OnceLock};

/// A string kept once for the whole process. Compares, hashes and orders like the string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Name(&'static str);

fn table() -> &'static Mutex<FxHashSet<&'static str>> {
    static TABLE: OnceLock<Mutex<FxHashSet<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(Default::default)
}

impl Name {
    pub fn new(text: &str) -> Name {
        if text.is_empty() {
            return Name("");
        }
        // A poisoned table is still a consistent set: a panic elsewhere cannot leave it half
        // updated, since insertion is the only change.
        let mut set = table().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&kept) = set.get(text) {
            return Name(kept);
        }
        let kept: &'static str = Box::leak(text.to_owned().into_boxed_str());
        set.insert(kept);
        Name(kept)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name::new(text)
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name::new(&text)
    }
}

impl From<&String> for Name {
    fn from(text: &String) -> Name {
        Name::new(text)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_str()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl Serialize for Name {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Name {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Name, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Name;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Name, E> {
                Ok(Name::new(text))
            }
        }
        deserializer.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::Name;

    #[test]
    fn equal_texts_share_one_copy() {
        let a = Name::new(&format!("pkg.{}", "Runner"));
        let b = Name::new("pkg.Runner");
        assert_eq!(a, b);
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_ne!(a, Name::new("pkg.Runner2"));
        assert_eq!(Name::new(""), Name::default());
    }

    #[test]
    fn round_trips_through_serde() {
        let name = Name::new("a.b.C");
        let bytes = postcard::to_allocvec(&name).unwrap();
        let back: Name = postcard::from_bytes(&bytes).unwrap();
        assert!(std::ptr::eq(back.as_str(), name.as_str()));
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"a.b.C\"");
    }
}
