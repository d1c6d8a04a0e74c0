//! The drop-in configuration under `freeswitch/`, read as FreeSWITCH reads it: its line-based
//! preprocessor (switch_xml's `preprocess`) runs before the XML parser and acts on any line that
//! contains the text `X-PRE-PROCESS` (any case), even inside a comment. A line naming it that is
//! not a directive is dropped whole, and a directive inside a comment still runs and takes the
//! rest of its line (a `-->` with it: the switch then fails to start with "unclosed <!--").
//! Lines holding `<include>`, `</include>` or `<?` are dropped too. What is left must be well
//! formed XML (a file's lines may be a fragment, so they are parsed inside one root element).

use std::path::{Path, PathBuf};

use quick_xml::events::Event;
use quick_xml::Reader;

/// Every file under `freeswitch/` that FreeSWITCH reads as XML (snippets are pasted into its
/// XML files, so they are read the same way).
fn xml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("freeswitch/ is readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            xml_files(&path, out);
        } else if path.to_string_lossy().contains(".xml") {
            out.push(path);
        }
    }
}

/// A line's directive, if it is one whole `<X-PRE-PROCESS cmd="..." data="..."/>` and nothing
/// else.
fn is_directive(line: &str) -> bool {
    let t = line.trim();
    let lower = t.to_ascii_lowercase();
    lower.starts_with("<x-pre-process ")
        && t.ends_with("/>")
        && lower.contains("cmd=\"")
        && lower.contains("data=\"")
}

/// The text FreeSWITCH's preprocessor hands to its XML parser, or why a line is a trap.
fn preprocess(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut in_comment = false;
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.contains("<include>") || line.contains("</include>") || line.contains("<?") {
            continue;
        }
        if line.to_ascii_lowercase().contains("x-pre-process") {
            if in_comment || !is_directive(line) {
                return Err(format!(
                    "line {n}: `X-PRE-PROCESS` outside a whole directive line (FreeSWITCH's preprocessor acts on it anyway): {line}"
                ));
            }
            continue;
        }
        if line.contains("<!--#") {
            return Err(format!(
                "line {n}: `<!--#` is a preprocessor directive: {line}"
            ));
        }
        // Track comments across lines, so that a directive inside one is caught above.
        let mut rest = line;
        loop {
            if in_comment {
                match rest.find("-->") {
                    Some(at) => {
                        in_comment = false;
                        rest = &rest[at + 3..];
                    }
                    None => break,
                }
            } else {
                match rest.find("<!--") {
                    Some(at) => {
                        in_comment = true;
                        rest = &rest[at + 4..];
                    }
                    None => break,
                }
            }
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

/// Parses `xml` inside one root element; the first error with its position.
fn well_formed(xml: &str) -> Result<(), String> {
    let doc = format!("<outcall-check>\n{xml}</outcall-check>");
    let mut reader = Reader::from_str(&doc);
    reader.config_mut().check_end_names = true;
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(Event::Start(_)) => depth += 1,
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => {
                return if depth == 0 {
                    Ok(())
                } else {
                    Err(format!("{depth} element(s) left open at the end"))
                };
            }
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "not well formed near byte {}: {e}",
                    reader.buffer_position()
                ))
            }
        }
    }
}

#[test]
fn every_file_reads_as_freeswitch_reads_it() {
    let mut files = Vec::new();
    xml_files(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("freeswitch")
            .as_path(),
        &mut files,
    );
    assert!(files.len() >= 5, "the drop-in files: {files:?}");
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("UTF-8 text");
        match preprocess(&text).and_then(|x| well_formed(&x)) {
            Ok(()) => {}
            Err(e) => problems.push(format!("{}: {e}", f.display())),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_checker_catches_the_traps() {
    let comment = "<!-- included by <X-PRE-PROCESS cmd=\"include\">. -->\n<a/>\n";
    assert!(preprocess(comment).unwrap_err().contains("line 1"));
    let mention = "<a>\n  <!-- see X-PRE-PROCESS -->\n</a>\n";
    assert!(preprocess(mention).is_err());
    let inside = "<!--\n<X-PRE-PROCESS cmd=\"set\" data=\"a=b\"/>\n-->\n";
    assert!(
        preprocess(inside).is_err(),
        "a directive in a comment still runs"
    );
    let ok = "<include>\n<X-PRE-PROCESS cmd=\"set\" data=\"a=b\"/>\n<a x=\"1\"/>\n</include>\n";
    assert_eq!(preprocess(ok).unwrap(), "<a x=\"1\"/>\n");
    assert!(well_formed("<a>\n<b></a>\n").is_err());
    assert!(well_formed("<!-- open\n<a/>\n").is_err());
    assert!(well_formed("<a/>\n<b/>\n").is_ok());
}
