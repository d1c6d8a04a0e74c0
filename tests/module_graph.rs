//! The layers point one way: no two top-level modules of `src/` import each other, directly or
//! through others, and the bottom layers import nothing above them. Reads every `crate::<module>`
//! path in code (comments skipped) and fails naming the cycle or the forbidden import.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Top-level module -> the top-level modules its code names.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut modules = BTreeMap::new();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name == "lib" || name == "main" {
            continue;
        }
        let mut files = Vec::new();
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else {
            files.push(path.clone());
        }
        let mut deps = BTreeSet::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for line in text.lines() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                let code = code.split(" //").next().unwrap_or(code);
                let mut rest = code;
                while let Some(i) = rest.find("crate::") {
                    let after = &rest[i + "crate::".len()..];
                    let dep: String = after
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                        .collect();
                    if !dep.is_empty() && dep != name {
                        deps.insert(dep);
                    }
                    rest = after;
                }
            }
        }
        modules.insert(name, deps);
    }
    modules
}

fn find_cycle(
    g: &BTreeMap<String, BTreeSet<String>>,
    at: &str,
    path: &mut Vec<String>,
    done: &mut BTreeSet<String>,
) -> Option<Vec<String>> {
    if let Some(i) = path.iter().position(|m| m == at) {
        let mut cycle = path[i..].to_vec();
        cycle.push(at.to_string());
        return Some(cycle);
    }
    if done.contains(at) {
        return None;
    }
    path.push(at.to_string());
    for dep in g.get(at).into_iter().flatten() {
        if let Some(c) = find_cycle(g, dep, path, done) {
            return Some(c);
        }
    }
    path.pop();
    done.insert(at.to_string());
    None
}

#[test]
fn top_level_modules_form_no_cycle() {
    let g = graph();
    assert!(g.len() > 5, "modules found: {g:?}");
    let mut done = BTreeSet::new();
    for m in g.keys() {
        if let Some(cycle) = find_cycle(&g, m, &mut Vec::new(), &mut done) {
            panic!(
                "import cycle between top-level modules: {}\nfull graph: {g:#?}",
                cycle.join(" -> ")
            );
        }
    }
}

#[test]
fn bottom_layers_import_nothing_above_them() {
    let g = graph();
    let allowed: &[(&str, &[&str])] = &[
        ("esl", &[]),
        ("clock", &[]),
        ("model", &[]),
        ("sim", &["esl"]),
        ("script", &["esl", "model"]),
        ("campaign", &["esl", "model", "script"]),
        ("callback", &["campaign", "esl", "model", "script"]),
        ("store", &["callback", "campaign", "model", "script"]),
    ];
    for (module, may) in allowed {
        let deps = &g[*module];
        let extra: Vec<&String> = deps.iter().filter(|d| !may.contains(&d.as_str())).collect();
        assert!(
            extra.is_empty(),
            "`{module}` imports {extra:?}; it may import only {may:?}"
        );
    }
    for (module, deps) in &g {
        assert!(
            !deps.contains("cli") && !deps.contains("startup") || module == "cli",
            "`{module}` imports the edge (cli/startup): {deps:?}"
        );
    }
}
