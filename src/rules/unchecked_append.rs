//! SWC102 unchecked-append: a long-lived list, set or deque that only grows.

use super::growth_report::report_growth;
use crate::lint::checker::Checker;
use crate::lint::containers::{Container, ContainerKind};
use crate::rules::Rule;

pub fn check(checker: &mut Checker, containers: &[Container]) {
    for c in containers {
        let what = match c.kind {
            ContainerKind::List => "is a list",
            ContainerKind::Set => "is a set",
            ContainerKind::Deque => "is a deque without `maxlen`",
            _ => continue,
        };
        if c.bound.is_some() {
            continue;
        }
        let Some(site) = c.open_growth() else {
            continue;
        };
        report_growth(
            checker,
            Rule::UncheckedAppend,
            c,
            (site, None),
            format!("{what} that only grows"),
            "use `collections.deque(maxlen=N)`, or trim it after adding (`del x[:-N]`) or clear it when a cycle ends",
        );
    }
}
