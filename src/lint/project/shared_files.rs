//! Files that several modules of the project write: evidence that a read-modify-write of one of
//! them races with another part of the project, not only with a second run of its own code.

use super::ModuleFacts;
use rustc_hash::FxHashMap as HashMap;

pub struct SharedFiles<'p> {
    /// File name (or imported constant, when the project does not define it) → the modules
    /// that write it: (module index, line).
    writers: HashMap<&'p str, Vec<(usize, u32)>>,
    /// File name → the modules outside tests that read it: (module index, line).
    readers: HashMap<&'p str, Vec<(usize, u32)>>,
    /// Qualified module constant → the file it names.
    constants: HashMap<&'p str, &'p str>,
}

impl<'p> SharedFiles<'p> {
    pub fn build(modules: &'p [(String, &'p ModuleFacts)]) -> SharedFiles<'p> {
        let constants: HashMap<&str, &str> = modules
            .iter()
            .flat_map(|(_, m)| m.file_constants.iter())
            .map(|(c, f)| (c.as_str(), f.as_str()))
            .collect();
        // A test that reads a file back makes it no state of the program.
        let writers = by_file(modules, &constants, |m| Some(&m.written_files));
        let readers = by_file(modules, &constants, |m| {
            (!m.is_test).then_some(&m.read_files)
        });
        SharedFiles {
            writers,
            readers,
            constants,
        }
    }

    /// The file `name` denotes: an imported constant is the file its module names.
    pub fn file<'n>(&self, name: &'n str) -> &'n str
    where
        'p: 'n,
    {
        resolve(&self.constants, name)
    }

    /// The modules other than `module` that write the file `name` denotes: (module, line).
    pub fn other_writers(&self, name: &str, module: usize) -> Vec<(usize, u32)> {
        let file = resolve(&self.constants, name);
        self.writers
            .get(file)
            .into_iter()
            .flatten()
            .filter(|(j, _)| *j != module)
            .copied()
            .collect()
    }

    /// The first module other than `module` (tests aside) that reads the file `name` denotes
    /// and that `accept` takes: (module, line).
    pub fn other_reader(
        &self,
        name: &str,
        module: usize,
        accept: impl Fn(usize) -> bool,
    ) -> Option<(usize, u32)> {
        let file = resolve(&self.constants, name);
        self.readers
            .get(file)
            .into_iter()
            .flatten()
            .find(|(j, _)| *j != module && accept(*j))
            .copied()
    }
}

/// File → the modules that name it in `files_of` (`None`: the module is left out), once each
/// with the first line: (module index, line).
fn by_file<'p>(
    modules: &'p [(String, &'p ModuleFacts)],
    constants: &HashMap<&'p str, &'p str>,
    files_of: impl Fn(&'p ModuleFacts) -> Option<&'p Vec<(super::Name, u32)>>,
) -> HashMap<&'p str, Vec<(usize, u32)>> {
    let mut out: HashMap<&str, Vec<(usize, u32)>> = HashMap::default();
    for (i, (_, m)) in modules.iter().enumerate() {
        for (file, line) in files_of(m).into_iter().flatten() {
            let entry = out.entry(resolve(constants, file.as_str())).or_default();
            if !entry.iter().any(|(j, _)| *j == i) {
                entry.push((i, *line));
            }
        }
    }
    out
}

fn resolve<'n>(constants: &HashMap<&'n str, &'n str>, name: &'n str) -> &'n str {
    name.strip_prefix('@')
        .and_then(|c| constants.get(c).copied())
        .unwrap_or(name)
}
