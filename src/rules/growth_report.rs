//! The finding shape shared by the memory-growth rules (SWC101, SWC102, SWC105): primary location
//! at the container's definition, related location at a growth site.

use crate::lint::checker::{Checker, Diagnostic};
use crate::lint::containers::Container;
use crate::rules::Rule;

/// Reports `container` unless `ignore-names` matches it.
pub fn report_growth(
    checker: &mut Checker,
    rule: Rule,
    container: &Container,
    problem: String,
    fix: &str,
) {
    let options = checker.options;
    if options.ignore_names.is_match(&container.display)
        || options.ignore_names.is_match(&container.attr)
    {
        return;
    }
    let Some(first) = container.growth.iter().find(|g| g.open_key) else {
        return;
    };
    let sites = container.growth.len();
    let owner = match &container.class {
        Some(class) if container.display.starts_with("self.") => {
            format!("`{}` (on `{class}` instances)", container.display)
        }
        Some(_) => format!("class attribute `{}`", container.display),
        None => format!("module global `{}`", container.display),
    };
    let message = format!(
        "{owner} {problem}; it grows in `{}`{} and nothing removes entries, reassigns it or checks its `len()`",
        first.function,
        if sites > 1 { format!(" and {} other place{}", sites - 1, if sites == 2 { "" } else { "s" }) } else { String::new() },
    );
    checker.report(Diagnostic {
        condition: container.condition.clone(),
        rule,
        range: container.range,
        message,
        related: vec![(
            first.range,
            format!(
                "grows here (in `{}`); no bound on `{}` was found",
                first.function, container.display
            ),
        )],
        fix: Some(fix.to_string()),
    });
}
