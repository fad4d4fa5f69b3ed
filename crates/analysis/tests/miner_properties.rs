//! Properties of the template miner on arbitrary input: it never panics, and every message
//! lands in exactly one live template whose count includes it.

use faultmaven_analysis::{MinerConfig, TemplateMiner};
use proptest::prelude::*;
use std::collections::HashMap;

/// Messages that look a bit like logs (shared words, numbers, punctuation, key=value,
/// quotes, unicode) so templates actually merge, plus fully arbitrary text.
fn message() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("error".to_owned()),
        Just("connection".to_owned()),
        Just("from".to_owned()),
        Just("user".to_owned()),
        Just("Jun".to_owned()),
        Just("KB".to_owned()),
        Just("=".to_owned()),
        Just("\"".to_owned()),
        Just("<*>".to_owned()),
        "[a-z]{1,8}",
        "[0-9]{1,6}",
        "[a-z]{1,4}=[a-z0-9.]{0,6}",
        "[0-9a-f]{8}-[0-9a-f]{4}",
        "\\PC{1,6}",
        // Characters whose UTF-8 forms share trailing bytes (Ʌ C9 85, Ņ C5 85, ĕ C4 95,
        // ɕ C9 95): a byte-wise common ending must not cut one of them.
        "[a-z]{0,2}[ɅŅĕɕ]{1,2}[,:]?",
    ];
    prop_oneof![
        4 => prop::collection::vec(word, 0..14).prop_map(|words| words.join(" ")),
        1 => any::<String>(),
    ]
}

fn check_assignment(config: &MinerConfig, messages: &[String]) {
    let mut miner = TemplateMiner::new(config);
    let ids: Vec<u32> = messages.iter().map(|m| miner.add(m)).collect();
    let mut per_template: HashMap<u32, u64> = HashMap::new();
    for id in &ids {
        *per_template.entry(miner.resolve(*id)).or_default() += 1;
    }
    let templates = miner.templates();
    assert_eq!(templates.len(), miner.len());
    assert_eq!(
        templates.len(),
        per_template.len(),
        "every live template has lines"
    );
    for template in &templates {
        assert_eq!(
            per_template.get(&template.id).copied(),
            Some(template.count),
            "template {} ({:?})",
            template.id,
            template.text
        );
        assert_eq!(
            miner.resolve(template.id),
            template.id,
            "live templates resolve to themselves"
        );
    }
    let total: u64 = templates.iter().map(|t| t.count).sum();
    assert_eq!(total, messages.len() as u64);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_message_lands_in_exactly_one_template(messages in prop::collection::vec(message(), 0..80)) {
        check_assignment(&MinerConfig::default(), &messages);
    }

    #[test]
    fn tight_budgets_keep_the_invariant(messages in prop::collection::vec(message(), 0..80)) {
        let config = MinerConfig {
            max_templates: 3,
            max_tokens: 4,
            max_vocabulary: 5,
            max_children: 2,
            ..MinerConfig::default()
        };
        check_assignment(&config, &messages);
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let mut miner = TemplateMiner::new(&MinerConfig::default());
        let id = miner.add(&text);
        prop_assert!(miner.template_text(id).is_some());
        prop_assert_eq!(miner.add(&text), miner.resolve(id));
    }
}

/// A log where no two lines share a word (the worst case: every line would start a template
/// of its own) cannot grow the miner without bound: templates stop at the budget, every
/// line still lands in exactly one template, and the miner says how many overflowed.
#[test]
fn a_million_unique_lines_keep_the_template_count_bounded() {
    let config = MinerConfig::default();
    let mut miner = TemplateMiner::new(&config);
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut word = String::new();
    let mut line = String::new();
    let lines = 1_000_000u64;
    let mut lengths = std::collections::HashSet::new();
    for index in 0..lines {
        line.clear();
        let words = 3 + (index % 5) as usize;
        lengths.insert(words);
        for position in 0..words {
            // Letters only, so masking keeps every word a constant.
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            word.clear();
            word.extend((0..7).map(|shift| char::from(b'a' + ((state >> (shift * 8)) % 26) as u8)));
            if position > 0 {
                line.push(' ');
            }
            line.push_str(&word);
        }
        miner.add(&line);
    }
    assert!(
        miner.len() <= config.max_templates + lengths.len(),
        "{} templates for a budget of {}",
        miner.len(),
        config.max_templates
    );
    let total: u64 = miner.templates().iter().map(|t| t.count).sum();
    assert_eq!(total, lines);
    assert!(
        miner.overflowed_messages() >= lines * 9 / 10,
        "{} overflowed",
        miner.overflowed_messages()
    );
}
