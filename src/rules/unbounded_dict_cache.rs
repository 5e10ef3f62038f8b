//! SWC105 unbounded-dict-cache: a long-lived plain dict (or `Counter`) that only ever gains keys.

use super::growth_report::report_growth;
use crate::lint::checker::Checker;
use crate::lint::containers::{Container, ContainerKind};
use crate::rules::Rule;

pub fn check(checker: &mut Checker, containers: &[Container]) {
    for c in containers {
        let problem = match c.kind {
            ContainerKind::Dict => "is a dict that only gains keys",
            ContainerKind::Counter => "is a Counter that only gains keys",
            _ => continue,
        };
        if c.bound.is_some() {
            continue;
        }
        // Keys of unknown provenance may be a finite catalogue (markets, channels, files).
        let Some((site, why)) = c.per_event_growth() else {
            continue;
        };
        report_growth(
            checker,
            Rule::UnboundedDictCache,
            c,
            (site, Some(why)),
            problem.to_string(),
            "bound it: `cachetools.LRUCache(maxsize=N)` / `TTLCache`, an `OrderedDict` with `popitem(last=False)` past a size, or delete entries when they are done",
        );
    }
}
