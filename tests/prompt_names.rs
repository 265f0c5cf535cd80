//! The names `centralino prompts import --name` accepts are exactly the prompt names an IVR
//! script can `play`: every prompt installed can be played, every prompt played can be
//! installed, and no name reaches outside the prompts directory.

use prompts::PromptName;
use proptest::prelude::*;

/// Does the IVR language accept `name` as a prompt to play?
fn script_plays(name: &str) -> bool {
    let script = format!("step start\n  play {name}\n  hangup\nend\n");
    ivr::Script::parse("names.ivr", &script).is_ok_and(|s| s.prompts_used().contains(name))
}

fn agree(name: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(
        PromptName::new(name).is_ok(),
        script_plays(name),
        "{:?}",
        name
    );
    Ok(())
}

#[test]
fn names_on_the_edges_agree() {
    let long = "a".repeat(64);
    let too_long = "a".repeat(65);
    for name in [
        "welcome",
        "digit_0",
        "main-menu",
        "0800",
        "Z",
        long.as_str(),
        too_long.as_str(),
        "_hidden",
        "-x",
        "a.b",
        "../x",
        "a/b",
        "è",
        "a#b",
    ] {
        agree(name).unwrap();
    }
}

proptest! {
    #[test]
    fn any_name_agrees(name in "[a-zA-Z0-9_.\\-/]{1,70}") {
        // Words the script language reserves are no concern here: `play` takes any name.
        agree(&name)?;
    }
}
