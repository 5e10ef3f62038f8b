//! The rules: one file per rule, each a plain function over typed AST nodes and the module's
//! semantic facts. Rules push findings into the checker and never print.

pub mod catalog;
mod file_concurrency;
mod growth_report;
mod memoize;
pub mod method_cache;
pub mod non_atomic_write;
pub mod open_without_context;
pub mod split_lock_rmw;
pub mod thread_lock_only;
pub mod unbounded_defaultdict;
pub mod unbounded_dict_cache;
pub mod uncapped_memoize;
pub mod unchecked_append;
pub mod unprotected_json_rmw;

use crate::finding::Severity;
use std::fmt;

/// Every implemented rule. The order matches the catalog (code order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    SyntaxError,
    UnboundedDefaultdict,
    UncheckedAppend,
    UncappedMemoize,
    MethodCache,
    UnboundedDictCache,
    UnprotectedJsonRmw,
    NonAtomicWrite,
    SplitLockRmw,
    ThreadLockOnly,
    OpenWithoutContext,
    UnusedNoqa,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::SyntaxError,
        Rule::UnboundedDefaultdict,
        Rule::UncheckedAppend,
        Rule::UncappedMemoize,
        Rule::MethodCache,
        Rule::UnboundedDictCache,
        Rule::UnprotectedJsonRmw,
        Rule::NonAtomicWrite,
        Rule::SplitLockRmw,
        Rule::ThreadLockOnly,
        Rule::OpenWithoutContext,
        Rule::UnusedNoqa,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Rule::SyntaxError => "SWC000",
            Rule::UnboundedDefaultdict => "SWC101",
            Rule::UncheckedAppend => "SWC102",
            Rule::UncappedMemoize => "SWC103",
            Rule::MethodCache => "SWC104",
            Rule::UnboundedDictCache => "SWC105",
            Rule::UnprotectedJsonRmw => "SWC201",
            Rule::NonAtomicWrite => "SWC202",
            Rule::SplitLockRmw => "SWC203",
            Rule::ThreadLockOnly => "SWC204",
            Rule::OpenWithoutContext => "SWC301",
            Rule::UnusedNoqa => "SWC900",
        }
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.code().eq_ignore_ascii_case(code))
    }

    pub fn meta(self) -> &'static catalog::RuleMeta {
        catalog::get(self.code()).expect("every Rule has a catalog entry")
    }

    pub fn name(self) -> &'static str {
        &self.meta().name
    }

    pub fn default_severity(self) -> Severity {
        self.meta().severity
    }

    fn bit(self) -> u64 {
        1 << (self as u8)
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A set of rules, as a bit set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleSet(u64);

impl RuleSet {
    pub fn empty() -> Self {
        RuleSet(0)
    }

    pub fn all() -> Self {
        Rule::ALL.iter().copied().collect()
    }

    /// The set as bits (stable within a version), for cache keys.
    pub fn bits(self) -> u64 {
        self.0
    }

    pub fn contains(self, rule: Rule) -> bool {
        self.0 & rule.bit() != 0
    }

    pub fn insert(&mut self, rule: Rule) {
        self.0 |= rule.bit();
    }

    pub fn remove(&mut self, rule: Rule) {
        self.0 &= !rule.bit();
    }

    pub fn union(self, other: RuleSet) -> RuleSet {
        RuleSet(self.0 | other.0)
    }

    pub fn minus(self, other: RuleSet) -> RuleSet {
        RuleSet(self.0 & !other.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Rule> {
        Rule::ALL.iter().copied().filter(move |r| self.contains(*r))
    }

    /// Rules in a preset group such as `mem.handles`.
    pub fn group(name: &str) -> RuleSet {
        Rule::ALL
            .iter()
            .copied()
            .filter(|r| r.meta().groups.iter().any(|g| g == name))
            .collect()
    }

    /// Rules matching a selector: a full code (`SWC301`), a prefix (`SWC3`, `SWC`), or `ALL`.
    /// `None` when nothing matches, so typos are reported instead of selecting nothing.
    pub fn from_selector(selector: &str) -> Option<RuleSet> {
        let sel = selector.trim().to_ascii_uppercase();
        if sel == "ALL" {
            return Some(RuleSet::all());
        }
        let set: RuleSet = Rule::ALL
            .iter()
            .copied()
            .filter(|r| r.code().starts_with(&sel))
            .collect();
        (!set.is_empty()).then_some(set)
    }
}

impl FromIterator<Rule> for RuleSet {
    fn from_iter<I: IntoIterator<Item = Rule>>(iter: I) -> Self {
        let mut set = RuleSet::empty();
        for r in iter {
            set.insert(r);
        }
        set
    }
}
