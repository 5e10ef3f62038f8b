//! The finding shape shared by the memory-growth rules (SWC101, SWC102, SWC105): primary location
//! at the container's definition, related location at a growth site.

use crate::lint::checker::{Checker, Diagnostic};
use crate::lint::containers::{Container, Growth};
use crate::rules::Rule;

/// Reports `container`, showing the growth at `first` (and why its keys are new with every
/// event, when the rule needs that), unless `ignore-names` matches it.
pub fn report_growth(
    checker: &mut Checker,
    rule: Rule,
    container: &Container,
    (first, key_evidence): (&Growth, Option<&str>),
    problem: String,
    fix: &str,
) {
    let options = checker.options;
    if options.ignore_names.is_match(&container.display)
        || options.ignore_names.is_match(&container.attr)
    {
        return;
    }
    let sites = container.growth.len();
    let owner = match (&container.local_of, &container.class) {
        (Some(function), _) => format!(
            "`{}` (a local of `{function}`, kept as long as its loop runs)",
            container.display
        ),
        (None, Some(class)) if container.display.starts_with("self.") => {
            format!("`{}` (on `{class}` instances)", container.display)
        }
        (None, Some(_)) => format!("class attribute `{}`", container.display),
        (None, None) => format!("module global `{}`", container.display),
    };
    // A bound only in functions nothing calls (confirmed by the project, see
    // `Condition::LongLivedOwner::removed_in`) is named, as dead code.
    let uncalled = container.uncalled_bound.as_ref().map(|(_, _, functions)| {
        functions
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    });
    let bounds = match &uncalled {
        Some(functions) => format!(
            "only {functions}, which nothing in the program calls, removes entries, reassigns it or checks its `len()`"
        ),
        None => "nothing removes entries, reassigns it or checks its `len()`".to_string(),
    };
    let message = format!(
        "{owner} {problem}; it grows in `{}`{} and {bounds}{}",
        first.function,
        if sites > 1 {
            format!(
                " and {} other place{}",
                sites - 1,
                if sites == 2 { "" } else { "s" }
            )
        } else {
            String::new()
        },
        if container.edge_bound.is_some() {
            " while its owner works"
        } else {
            ""
        },
    );
    let place = if let Some(function) = container
        .local_of
        .as_deref()
        .filter(|f| *f != first.function)
    {
        format!(
            "in `{}`, which the loop of `{function}` calls until the process stops",
            first.function
        )
    } else if first.in_endless_loop() {
        format!(
            "in `{}`, inside a loop that runs until the process stops",
            first.function
        )
    } else {
        format!("in `{}`", first.function)
    };
    let that_runs = if uncalled.is_some() { " that runs" } else { "" };
    let mut related = vec![(
        first.range,
        match key_evidence {
            Some(why) => format!(
                "grows here ({place}): {why}; no bound{that_runs} on `{}` was found",
                container.display
            ),
            None => format!(
                "grows here ({place}); no bound{that_runs} on `{}` was found",
                container.display
            ),
        },
    )];
    if let (Some((range, what, all)), Some(functions)) = (&container.uncalled_bound, &uncalled) {
        let (are, them) = if all.len() > 1 {
            ("are", "them")
        } else {
            ("is", "it")
        };
        related.push((
            *range,
            format!("{what} here; {functions} {are} all that bound it, and no code of the program calls, names or hands on {them}"),
        ));
    }
    if let Some((range, what)) = &container.edge_bound {
        related.push((
            *range,
            format!("{what}: only at the end of its owner's life or when its state is reloaded, not while it works"),
        ));
    }
    checker.report(Diagnostic {
        condition: container.condition.clone(),
        rule,
        // A container the class grows but does not make is shown where it grows as reported.
        range: if container.borrowed {
            first.range
        } else {
            container.range
        },
        message,
        related,
        fix: Some(fix.to_string()),
    });
}
