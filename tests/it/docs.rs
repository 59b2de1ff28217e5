//! What editors and operators read agrees with what verdict does: README's
//! reference tables with the readers' definitions, the schemas with the files,
//! README with `--help` and the manual pages.

use verdict::project::reference::{FILES, readme_reference};

use crate::harness::repo_root;

/// Where README's generated reference starts and ends.
const BEGIN: &str = "<!-- reference: generated from the readers' definitions; `VERDICT_BLESS=1 cargo test docs` rewrites it -->\n";
const END: &str = "<!-- end of reference -->";

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).unwrap()
}

#[test]
fn readme_reference_tables_are_the_readers_definitions() {
    let readme = readme();
    let start = readme.find(BEGIN).expect("README has the reference") + BEGIN.len();
    let end = start + readme[start..].find(END).expect("the reference ends");
    let expected = readme_reference();
    if std::env::var_os("VERDICT_BLESS").is_some() {
        let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
        std::fs::write(repo_root().join("README.md"), updated).unwrap();
        return;
    }
    assert!(
        readme[start..end] == expected,
        "README's reference differs from the definitions; run VERDICT_BLESS=1 cargo test docs\n--- README\n{}\n--- definitions\n{expected}",
        &readme[start..end]
    );
}

#[test]
fn the_demo_projects_schemas_are_the_generated_ones() {
    for file in FILES {
        let path = repo_root().join("schemas").join(file.schema);
        let written =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            written == file.json_schema_text(),
            "{} is stale: run `verdict init --schemas`",
            path.display()
        );
    }
}
