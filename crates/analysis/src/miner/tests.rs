//! Unit tests of the template miner.

use super::*;

fn mine(lines: &[&str]) -> (TemplateMiner, Vec<u32>) {
    let mut miner = TemplateMiner::new(&MinerConfig::default());
    let ids = lines.iter().map(|line| miner.add(line)).collect();
    (miner, ids)
}

/// Mines `lines` and checks the template each line ended in.
fn check(lines: &[&str], expected: &[&str]) {
    let (miner, ids) = mine(lines);
    let templates: Vec<String> = ids
        .iter()
        .map(|&id| miner.template_text(id).unwrap_or_default())
        .collect();
    assert_eq!(templates, expected);
}

#[test]
fn similar_lines_share_a_template() {
    check(
        &[
            "Connection from alice closed after 5 s",
            "Connection from bob closed after 17 s",
            "Disk /dev/sda1 is full",
            "Connection from carol closed after 2 s",
            "Connection from dave closed after 9 s",
            "Connection from erin closed after 1 s",
        ],
        &[
            "Connection from <*> closed after <*> s",
            "Connection from <*> closed after <*> s",
            "Disk <*> is full",
            "Connection from <*> closed after <*> s",
            "Connection from <*> closed after <*> s",
            "Connection from <*> closed after <*> s",
        ],
    );
}

#[test]
fn a_word_with_few_values_separates_events_until_it_proves_variable() {
    let (miner, ids) = mine(&[
        "VM Started (Lifecycle Event)",
        "VM Paused (Lifecycle Event)",
        "VM Started (Lifecycle Event)",
        "VM Stopped (Lifecycle Event)",
    ]);
    assert_eq!(ids[0], ids[2]);
    assert_ne!(ids[0], ids[1]);
    assert_ne!(ids[1], ids[3]);
    assert_eq!(miner.len(), 3);
    assert_eq!(
        miner.template_text(ids[1]).as_deref(),
        Some("VM Paused (Lifecycle Event)")
    );

    // A fifth distinct word: the position is a variable and the templates merge.
    let mut miner = miner;
    let id = miner.add("VM Resumed (Lifecycle Event)");
    let id = miner.add("VM Migrated (Lifecycle Event)").max(id);
    assert_eq!(miner.len(), 1);
    for earlier in ids {
        assert_eq!(miner.resolve(earlier), miner.resolve(id));
    }
    assert_eq!(
        miner.template_text(id).as_deref(),
        Some("VM <*> (Lifecycle Event)")
    );
    assert_eq!(miner.template_count(id), 6);
}

#[test]
fn different_events_stay_apart() {
    let (miner, ids) = mine(&[
        "user alice logged in from 10.0.0.1",
        "user alice logged out after 42 minutes",
        "user alice logged in from 10.0.0.2",
        "disk sda1 is full",
    ]);
    assert_eq!(ids[0], ids[2]);
    assert_ne!(ids[0], ids[1]);
    assert_eq!(miner.len(), 3);
    assert_eq!(
        miner.template_text(ids[0]).as_deref(),
        Some("user alice logged in from <*>")
    );
    assert_eq!(miner.template_count(ids[0]), 2);
}

#[test]
fn key_values_render_joined() {
    check(
        &["retry count=3 host=db-1", "retry count=4 host=db-2"],
        &["retry count=<*> host=db-<*>", "retry count=<*> host=db-<*>"],
    );
}

#[test]
fn template_budget_is_respected_and_every_line_lands() {
    let config = MinerConfig {
        max_templates: 3,
        ..MinerConfig::default()
    };
    let mut miner = TemplateMiner::new(&config);
    let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"];
    for (index, word) in words.iter().enumerate() {
        let line = format!(
            "{word} {} {}",
            words[(index + 3) % 7],
            "x".repeat(index + 1)
        );
        let id = miner.add(&line);
        assert!(id >= 1 && id as usize <= miner.len());
    }
    let total: u64 = miner.templates().iter().map(|t| t.count).sum();
    assert_eq!(total, words.len() as u64);
    assert!(
        miner.len() <= 3 + 1,
        "at most one overflow template per length"
    );
    assert!(
        miner.overflowed_messages() > 0,
        "the miner says it overflowed"
    );
}

#[test]
fn a_leaf_never_holds_more_than_its_cap() {
    let mut miner = TemplateMiner::new(&MinerConfig::default());
    let mut state = 17u64;
    let mut word = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (0..6)
            .map(|shift| char::from(b'a' + ((state >> (shift * 8 + 8)) % 26) as u8))
            .collect::<String>()
    };
    let lines = 3 * MAX_LEAF_CLUSTERS;
    for _ in 0..lines {
        let message = format!("event kind {} {} {}", word(), word(), word());
        miner.add(&message);
    }
    assert!(
        miner.len() <= MAX_LEAF_CLUSTERS,
        "{} templates",
        miner.len()
    );
    let total: u64 = miner.templates().iter().map(|t| t.count).sum();
    assert_eq!(total, lines as u64);
}

#[test]
fn word_combinations_respect_the_template_budget() {
    let config = MinerConfig {
        max_templates: 10,
        ..MinerConfig::default()
    };
    let mut miner = TemplateMiner::new(&config);
    let words = ["red", "green", "blue", "cyan"];
    let mut lines = 0;
    // Three watched positions with four words each: 64 combinations, budget 10.
    for a in words {
        for b in words {
            for c in words {
                miner.add(&format!("paint {a} wall {b} door {c} frame now"));
                lines += 1;
            }
        }
    }
    assert!(
        miner.templates.len() <= 10 + 1,
        "{} created",
        miner.templates.len()
    );
    let total: u64 = miner.templates().iter().map(|t| t.count).sum();
    assert_eq!(total, lines);
}

#[test]
fn empty_message_has_an_empty_template() {
    check(&["", "   "], &["", ""]);
}

#[test]
fn variables_keep_the_punctuation_their_messages_share() {
    check(
        &[
            "synchronized to 10.0.0.1, stratum 3",
            "synchronized to LOCAL(0), stratum 10",
        ],
        &[
            "synchronized to <*>, stratum <*>",
            "synchronized to <*>, stratum <*>",
        ],
    );
}

#[test]
fn an_optional_variable_part_does_not_split_an_event() {
    let (miner, ids) = mine(&[
        "proxy.example.com:443 close, 0 bytes sent, 0 bytes received, lifetime 00:01",
        "proxy.example.com:443 close, 1404 bytes (1.37 KB) sent, 0 bytes received, lifetime 00:02",
        "proxy.example.com:443 close, 12 bytes sent, 40 bytes received, lifetime <1 sec",
    ]);
    assert_eq!(miner.resolve(ids[0]), miner.resolve(ids[1]));
    assert_eq!(miner.resolve(ids[0]), miner.resolve(ids[2]));
    assert_eq!(miner.len(), 1);
    assert_eq!(miner.template_count(ids[2]), 3);
}

#[test]
fn an_empty_value_is_a_different_event_from_a_present_one() {
    let (miner, ids) = mine(&[
        "authentication failure; tty=NODEVssh ruser= rhost=10.0.0.1",
        "authentication failure; tty=NODEVssh ruser= rhost=10.0.0.2",
        "authentication failure; tty=:0 ruser= rhost=",
        "authentication failure; tty=NODEVssh ruser= rhost=host.example.com",
        "authentication failure; tty=:1 ruser= rhost=",
    ]);
    assert_eq!(miner.resolve(ids[0]), miner.resolve(ids[3]));
    assert_eq!(miner.resolve(ids[2]), miner.resolve(ids[4]));
    assert_ne!(miner.resolve(ids[0]), miner.resolve(ids[2]));
    assert_eq!(
        miner.template_text(ids[4]).as_deref(),
        Some("authentication failure; tty=:<*> ruser= rhost=")
    );
}

#[test]
fn upper_case_names_stay_constants_past_the_word_limit() {
    let states = [
        "NEW",
        "SCHEDULED",
        "RUNNING",
        "SUCCEEDED",
        "FAILED",
        "KILLED",
    ];
    let lines: Vec<String> = states
        .windows(2)
        .map(|pair| {
            format!(
                "task_{} Transitioned from {} to {}",
                pair.len(),
                pair[0],
                pair[1]
            )
        })
        .collect();
    let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
    let (miner, ids) = mine(&lines);
    assert_eq!(miner.len(), 5, "one event per transition");
    assert_eq!(
        miner.template_text(ids[2]).as_deref(),
        Some("<*> Transitioned from RUNNING to SUCCEEDED")
    );
    // Lower-case words past the limit are still variables.
    let (miner, _) = mine(&[
        "job moved from new to scheduled",
        "job moved from scheduled to running",
        "job moved from running to succeeded",
        "job moved from succeeded to failed",
        "job moved from failed to killed",
        "job moved from killed to archived",
    ]);
    assert_eq!(miner.len(), 1);
}

#[test]
fn the_brackets_of_a_masked_part_are_not_shared_punctuation() {
    check(
        &[
            "LOGIN chdir(/p/gb1/x) failed",
            "LOGIN (/p/gb2/y) failed",
            "use Switch<0>(0x0) now",
            "use Port<1>(0x0) now",
        ],
        &[
            "LOGIN <*>) failed",
            "LOGIN <*>) failed",
            "use <*>) now",
            "use <*>) now",
        ],
    );
}

#[test]
fn a_size_unit_that_changes_joins_its_number() {
    check(
        &[
            "Block broadcast_1 stored as bytes in memory (estimated size 5.2 KB, free 316.0 MB)",
            "Block broadcast_2 stored as bytes in memory (estimated size 216.0 B, free 316.0 MB)",
            "Block broadcast_3 stored as bytes in memory (estimated size 9.1 KB, free 315.9 MB)",
        ],
        &[
            "Block <*> stored as bytes in memory (estimated size <*>, free <*>)",
            "Block <*> stored as bytes in memory (estimated size <*>, free <*>)",
            "Block <*> stored as bytes in memory (estimated size <*>, free <*>)",
        ],
    );
    // Once one size changes unit, every size of the message is a value with its unit (the
    // `MB` after `free` never changed); a unit that never changes anywhere stays a constant.
    check(
        &[
            "Total memory: 64172 MB, used: 512.00 MB",
            "Total memory: 64172 MB, used: 2560.00 MB",
        ],
        &[
            "Total memory: <*> MB, used: <*> MB",
            "Total memory: <*> MB, used: <*> MB",
        ],
    );
}

#[test]
fn a_variable_keeps_the_key_and_the_address_shape_its_messages_share() {
    let lines = [
        "conn mode:alpha, open for the client",
        "conn mode:beta, open for the client",
        "conn mode:gamma, open for the client",
        "conn mode:delta, open for the client",
        "conn mode:epsilon, open for the client",
        "conn mode:zeta, open for the client",
    ];
    let (miner, ids) = mine(&lines);
    assert_eq!(miner.len(), 1);
    assert_eq!(
        miner.template_text(ids[0]).as_deref(),
        Some("conn mode:<*>, open for the client")
    );
    // A host written as an address once and as a name once still ends in its port.
    check(
        &[
            "10.0.0.1:443 open through proxy",
            "example.com:80 open through proxy",
        ],
        &["<*>:<*> open through proxy", "<*>:<*> open through proxy"],
    );
}

/// Two words whose last characters differ but share their last UTF-8 byte (Ʌ is C9 85,
/// Ņ is C5 85) get a common shape without cutting a character.
#[test]
fn a_common_ending_never_cuts_a_character() {
    let mut miner = TemplateMiner::new(&MinerConfig::default());
    for (a, b) in [("aɅ", "bŅ"), ("aɅ,", "bŅ,"), ("Ʌ", "Ņ"), ("x:aɅ", "x:bŅ")] {
        let (a, b) = (
            miner.vocabulary.intern(a, false),
            miner.vocabulary.intern(b, false),
        );
        let shape = miner.common_shape(a, b);
        assert!(miner
            .vocabulary
            .text(shape)
            .contains(crate::tokens::WILDCARD));
    }
}
