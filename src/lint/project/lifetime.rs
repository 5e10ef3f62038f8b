//! Which classes live for the process, and why: a fixpoint over the places instances are kept.
//!
//! A class is long-lived when an instance is a module global, is created by the entry point, is
//! registered with a running framework, runs a service loop, subclasses a long-running
//! framework class (`frameworks.toml`), or is held by an attribute of a long-lived instance.
//! Test code keeps nothing alive. Each verdict keeps the link that proved it, so a finding can
//! show the whole chain.

use super::frameworks;
use super::hierarchy::{ClassId, Hierarchy};
use super::HoldSite;
use crate::finding::Related;
use std::collections::VecDeque;

/// One link of evidence: what it says, where, and the class it leans on (for chains).
#[derive(Clone, Debug)]
pub struct Reason {
    pub message: String,
    pub path: String,
    pub line: u32,
    pub via: Option<ClassId>,
}

pub struct Lifetimes {
    reasons: Vec<Option<Reason>>,
}

/// Classes named in the `long-lived` option are long-lived by the user's word.
/// `ends[m]`: module `m` is a script that ends, so what its globals and entry point keep dies
/// with it.
/// `entry_lives[m]`: the entry point of module `m` keeps running (a loop, a serve call, or a
/// service object it starts).
pub fn compute(
    h: &Hierarchy<'_>,
    configured: &[String],
    ends: &[bool],
    entry_lives: &[bool],
) -> Lifetimes {
    let n = h.classes.len();
    let mut reasons: Vec<Option<Reason>> = vec![None; n];
    let mut queue = VecDeque::new();
    let table = frameworks::table();
    let short = |name: &str| name.rsplit('.').next().unwrap_or(name).to_string();
    let seed = |id: ClassId,
                reason: Reason,
                reasons: &mut Vec<Option<Reason>>,
                queue: &mut VecDeque<ClassId>| {
        let (_, m) = h.module_of(id);
        if m.is_test || reasons[id].is_some() {
            return;
        }
        reasons[id] = Some(reason);
        queue.push_back(id);
    };
    // Seeds from the classes themselves.
    for id in 0..n {
        let class = h.class(id);
        let (path, _) = h.module_of(id);
        if let Some((method, line)) = &class.service_loop {
            seed(
                id,
                Reason {
                    message: format!(
                        "`{}` runs a loop until the process ends in `{method}`",
                        short(&class.name)
                    ),
                    path: path.to_string(),
                    line: *line,
                    via: None,
                },
                &mut reasons,
                &mut queue,
            );
            continue;
        }
        let framework = h
            .ancestors_and_self(id)
            .into_iter()
            .flat_map(|a| h.external_bases[a].iter().map(move |b| (a, *b)))
            .find(|(_, b)| table.long_lived_bases.iter().any(|t| t == b));
        if let Some((a, base)) = framework {
            let (apath, _) = h.module_of(a);
            seed(
                id,
                Reason {
                    message: format!(
                        "`{}` subclasses `{base}`, which runs for the life of the process",
                        short(&h.class(a).name)
                    ),
                    path: apath.to_string(),
                    line: h.class(a).line,
                    via: None,
                },
                &mut reasons,
                &mut queue,
            );
            continue;
        }
        if configured
            .iter()
            .any(|c| c == &class.name || short(c) == short(&class.name))
        {
            seed(
                id,
                Reason {
                    message: format!(
                        "`{}` is listed as long-lived in the configuration",
                        short(&class.name)
                    ),
                    path: path.to_string(),
                    line: class.line,
                    via: None,
                },
                &mut reasons,
                &mut queue,
            );
        }
    }
    // Seeds from where instances are kept; attribute holds wait for their owner.
    let mut by_owner: Vec<Vec<(ClassId, String, u32, String)>> = vec![Vec::new(); n];
    for (mi, (path, m)) in h.modules.iter().enumerate() {
        if m.is_test {
            continue;
        }
        let loop_note = m
            .runs_forever
            .as_ref()
            .map(|(what, line)| format!(" (it runs {what} at line {line})"))
            .unwrap_or_default();
        for hold in &m.holds {
            let Some(id) = h.resolve(&hold.class) else {
                continue;
            };
            let name = short(&h.class(id).name);
            let message = match &hold.site {
                HoldSite::ModuleGlobal { .. } | HoldSite::Entry { .. } if ends[mi] => continue,
                HoldSite::Entry { .. } if !entry_lives[mi] => continue,
                HoldSite::ModuleGlobal { name: g } => {
                    format!("`{name}` is kept in the module global `{g}` for the life of the process{loop_note}")
                }
                HoldSite::Registered { call } => {
                    format!("`{name}` is registered with a running framework by `{call}(...)`")
                }
                HoldSite::Entry { function } => format!(
                    "`{name}` is created by the entry point (`{function}`), which runs until the process exits{loop_note}"
                ),
                HoldSite::Attribute { owner, attr } => {
                    if let Some(o) = h.resolve(owner) {
                        by_owner[o].push((id, path.clone(), hold.line, format!("`{name}` is held by `{}.{attr}`", short(owner))));
                    }
                    continue;
                }
            };
            seed(
                id,
                Reason {
                    message,
                    path: path.clone(),
                    line: hold.line,
                    via: None,
                },
                &mut reasons,
                &mut queue,
            );
        }
    }
    // An attribute declared in a base is held by instances of every subclass too.
    while let Some(owner) = queue.pop_front() {
        for a in h.ancestors_and_self(owner) {
            for (held, path, line, message) in &by_owner[a] {
                if reasons[*held].is_none() && !h.module_of(*held).1.is_test {
                    reasons[*held] = Some(Reason {
                        message: message.clone(),
                        path: path.clone(),
                        line: *line,
                        via: Some(owner),
                    });
                    queue.push_back(*held);
                }
            }
        }
    }
    Lifetimes { reasons }
}

impl Lifetimes {
    /// The evidence that instances of `id` (or of one of its subclasses) live for the process,
    /// as related locations, outermost cause last.
    pub fn evidence(&self, h: &Hierarchy<'_>, id: ClassId) -> Option<Vec<Related>> {
        let (found, sub) = h
            .descendants_and_self(id)
            .into_iter()
            .find(|c| self.reasons[*c].is_some())
            .map(|c| (c, c != id))?;
        let mut out = Vec::new();
        if sub {
            let (path, _) = h.module_of(found);
            out.push(Related {
                path: Some(path.to_string()),
                line: h.class(found).line as usize,
                column: 1,
                message: format!(
                    "`{}` is a subclass of `{}`",
                    short_name(&h.class(found).name),
                    short_name(&h.class(id).name)
                ),
            });
        }
        let mut at = Some(found);
        let mut seen = Vec::new();
        while let Some(c) = at {
            if seen.contains(&c) {
                break;
            }
            seen.push(c);
            let Some(r) = &self.reasons[c] else { break };
            out.push(Related {
                path: Some(r.path.clone()),
                line: r.line as usize,
                column: 1,
                message: r.message.clone(),
            });
            at = r.via;
        }
        Some(out)
    }
}

fn short_name(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}
