//! The guides in `docs/` and their samples: every fenced block is extracted into
//! `target/guides/<page>/` so that the suites can compile or run it, and none can drift
//! from what users copy.
//!
//! - ```` ```rust ```` blocks are doc tests of the test kit (`tests/src/guides.rs` includes every
//!   page that has one; [`extract`] fails when a page is missing there).
//! - ```` ```ts ````, ```` ```tsx ````, ```` ```vue ```` and ```` ```js ```` blocks go to the web
//!   projects of `examples/web/tests/guides.test.mjs`: fresh Vite projects for React and Vue,
//!   the Angular CLI project, a fresh Node project (which also type-checks every standalone
//!   TypeScript block).
//! - ```` ```kotlin ```` blocks are compiled with the Kotlin suite, ```` ```python ```` blocks
//!   byte-compiled and the Python guide's script run from the wheel, ```` ```swift ```` blocks
//!   checked against the generated Swift (no Swift compiler here).
//!
//! A block whose first line is `// file: PATH` (`# file: PATH` in Python, `<!-- file: PATH -->`
//! in Vue) is written to that path of its page's project; the others are `block-N.<ext>`.

use std::path::{Path, PathBuf};

use crate::workspace;

/// Languages whose blocks are compiled or run, with the extension of their files.
const CHECKED: &[(&str, &str)] = &[
    ("rust", "rs"),
    ("ts", "ts"),
    ("tsx", "tsx"),
    ("vue", "vue"),
    ("js", "mjs"),
    ("kotlin", "kt"),
    ("python", "py"),
    ("swift", "swift"),
];

/// Languages that are commands, wire frames or build files of tools not on these machines
/// (Gradle, Xcode): shown, not checked.
const SHOWN: &[&str] = &["sh", "text", "json", "toml", "kts"];

/// One fenced block of a page.
#[derive(Debug, PartialEq)]
pub struct Block {
    pub lang: String,
    pub file: Option<String>,
    pub code: String,
    pub line: usize,
}

pub fn out() -> PathBuf {
    workspace().join("target/guides")
}

/// The fenced blocks of `markdown` (fences at any indentation, as in lists).
pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut found = Vec::new();
    let mut open: Option<(String, usize, usize, Vec<String>)> = None;
    for (number, line) in markdown.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        let trimmed = line.trim_start();
        match open.take() {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    let lang = info.split_whitespace().next().unwrap_or("").to_owned();
                    open = Some((lang, indent, number + 1, Vec::new()));
                }
            }
            Some((lang, _, start, lines)) if trimmed == "```" => {
                found.push(block(lang, lines, start));
            }
            Some((lang, fence_indent, start, mut lines)) => {
                let cut = indent.min(fence_indent);
                lines.push(line[cut..].to_owned());
                open = Some((lang, fence_indent, start, lines));
            }
        }
    }
    found
}

fn block(lang: String, mut lines: Vec<String>, line: usize) -> Block {
    let first = lines.first().map(|first| first.trim()).unwrap_or("");
    let file = ["// file:", "# file:", "<!-- file:"]
        .iter()
        .find_map(|marker| first.strip_prefix(marker))
        .map(|rest| rest.trim_end_matches("-->").trim().to_owned());
    if file.is_some() {
        lines.remove(0);
    }
    Block {
        lang,
        file,
        code: lines.join("\n") + "\n",
        line,
    }
}

/// Every file under `folder` whose extension is `ext`, sorted.
fn walk(folder: &Path, ext: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![folder.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|found| found == ext) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Every page under `docs/`, as paths relative to it without `.md` (`getting-started/rust`).
fn pages(docs: &Path) -> Vec<PathBuf> {
    walk(docs, "md")
        .into_iter()
        .filter_map(|path| Some(path.strip_prefix(docs).ok()?.with_extension("")))
        .collect()
}

/// Writes every checked block of every page into [`out`]; fails on a language that is
/// neither checked nor shown, and on a page with Rust blocks the test kit does not include.
pub fn extract() -> bool {
    let root = workspace();
    let docs = root.join("docs");
    let out = out();
    let _ = std::fs::remove_dir_all(&out);
    let included = std::fs::read_to_string(root.join("tests/src/guides.rs")).unwrap_or_default();
    let mut ok = true;
    let mut count = 0;
    for page in pages(&docs) {
        let source = docs.join(&page).with_extension("md");
        let name = page.display().to_string();
        let markdown = std::fs::read_to_string(&source).unwrap_or_default();
        for (index, block) in blocks(&markdown).into_iter().enumerate() {
            let Some((_, ext)) = CHECKED.iter().find(|(lang, _)| *lang == block.lang) else {
                if !SHOWN.contains(&block.lang.as_str()) {
                    eprintln!(
                        "docs/{name}.md:{}: a ```{} block is neither checked nor one of {SHOWN:?}",
                        block.line, block.lang
                    );
                    ok = false;
                }
                continue;
            };
            count += 1;
            if block.lang == "rust" {
                if !included.contains(&format!("\"../../docs/{name}.md\"")) {
                    eprintln!("docs/{name}.md has Rust samples: include it in tests/src/guides.rs");
                    ok = false;
                }
                continue;
            }
            let file = block
                .file
                .clone()
                .unwrap_or_else(|| format!("block-{}.{ext}", index + 1));
            let target = out.join(&page).join(file);
            let written = target
                .parent()
                .is_some_and(|dir| std::fs::create_dir_all(dir).is_ok())
                && std::fs::write(&target, &block.code).is_ok();
            if !written {
                eprintln!("cannot write {}", target.display());
                ok = false;
            }
        }
    }
    println!("{count} samples in docs/, written to {}", out.display());
    ok && count > 0
}

/// The extracted files with extension `ext`, from every page.
pub fn files(ext: &str) -> Vec<PathBuf> {
    walk(&out(), ext)
}

#[cfg(test)]
mod tests {
    use super::blocks;

    #[test]
    fn blocks_carry_their_language_and_file() {
        let page = "text\n```tsx\n// file: src/App.tsx\nexport {};\n```\n\n1. step\n   ```sh\n   npm install niochat\n   ```\n";
        let found = blocks(page);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].lang, "tsx");
        assert_eq!(found[0].file.as_deref(), Some("src/App.tsx"));
        assert_eq!(found[0].code, "export {};\n");
        assert_eq!(found[1].lang, "sh");
        assert_eq!(found[1].code, "npm install niochat\n");
    }

    #[test]
    fn vue_and_python_files_are_named_too() {
        let page = "```vue\n<!-- file: src/App.vue -->\n<template/>\n```\n```python\n# file: chat.py\nprint()\n```\n";
        let found = blocks(page);
        assert_eq!(found[0].file.as_deref(), Some("src/App.vue"));
        assert_eq!(found[1].file.as_deref(), Some("chat.py"));
        assert_eq!(found[1].code, "print()\n");
    }
}
