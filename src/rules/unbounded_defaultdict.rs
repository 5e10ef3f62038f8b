//! SWC101 unbounded-defaultdict: a long-lived `defaultdict` whose key space only grows.

use super::growth_report::report_growth;
use crate::lint::checker::Checker;
use crate::lint::containers::{Container, ContainerKind};
use crate::rules::Rule;

pub fn check(checker: &mut Checker, containers: &[Container]) {
    for c in containers {
        let ContainerKind::DefaultDict { per_key_bound } = c.kind else {
            continue;
        };
        if c.bound.is_some() {
            continue;
        }
        // Keys of unknown provenance may be a finite catalogue (shards, workers, markets).
        let Some((site, why)) = c.per_event_growth() else {
            continue;
        };
        let problem = if per_key_bound {
            "is a defaultdict whose values are bounded but whose keys are not: every new key stays forever".to_string()
        } else {
            "is a defaultdict that gains a key for every new value it sees".to_string()
        };
        report_growth(
            checker,
            Rule::UnboundedDefaultdict,
            c,
            (site, Some(why)),
            problem,
            "evict keys (`del d[key]` or `d.pop(key)` when an entity is done), cap it with `cachetools.LRUCache(maxsize=N)`, or key it by a fixed set such as an Enum",
        );
    }
}
