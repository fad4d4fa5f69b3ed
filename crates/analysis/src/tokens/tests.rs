//! Unit tests of the tokenizer: what each masking rule makes of real message shapes.

use super::*;

const RULES: MaskingRules = MaskingRules { dotted_names: true };

fn check(message: &str, expected: &[&str]) {
    let mut tokenizer = Tokenizer::default();
    tokenizer.tokenize(message, RULES, 100, |_| None);
    let texts: Vec<&str> = tokenizer
        .tokens
        .iter()
        .map(|token| tokenizer.text(message, token))
        .collect();
    assert_eq!(texts, expected, "tokens of {message:?}");
    for token in &tokenizer.tokens {
        let text = tokenizer.text(message, token);
        assert_eq!(token.variable, text.contains(WILDCARD), "flag of {text:?}");
    }
    // Chunks reported as plain words tokenize the same when the caller knows them and
    // masking is skipped.
    let plain: Vec<String> = tokenizer
        .tokens
        .iter()
        .filter(|token| matches!(token.text, TokenText::Chunk(_)))
        .map(|token| tokenizer.text(message, token).to_owned())
        .collect();
    let mut again = Tokenizer::default();
    again.tokenize(message, RULES, 100, |chunk| {
        plain
            .iter()
            .position(|word| word == chunk)
            .map(|i| i as u32 + 1)
    });
    let texts_again: Vec<&str> = again
        .tokens
        .iter()
        .map(|token| again.text(message, token))
        .collect();
    assert_eq!(texts_again, expected, "known words of {message:?}");
}

#[test]
fn numbers_ids_and_addresses_become_wildcards() {
    check(
        "PacketResponder 1 for block blk_-6952295868487656571 terminating",
        &[
            "PacketResponder",
            "<*>",
            "for",
            "block",
            "<*>",
            "terminating",
        ],
    );
    check(
        "Received connection request /10.10.34.11:45307",
        &["Received", "connection", "request", "<*>:<*>"],
    );
    check(
        "reverse mapping checking getaddrinfo for ns.example.com [173.234.31.186] failed",
        &[
            "reverse",
            "mapping",
            "checking",
            "getaddrinfo",
            "for",
            "<*>",
            "[<*>]",
            "failed",
        ],
    );
    check(
        "req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 0x7fed806eb5d",
        &["<*>", "<*>", "<*>"],
    );
    // A UUID none of whose runs is all digits.
    check(
        "[instance: 96abccce-8d1f-4e07-b6d1-4b2ab87e23b4] done",
        &["[instance:", "<*>]", "done"],
    );
    check(
        "took 0.2477829 s, 1190 bytes",
        &["took", "<*>", "s,", "<*>", "bytes"],
    );
}

#[test]
fn words_with_digits_keep_their_letters() {
    check(
        "IOThunderboltSwitch<0>(0x0)::listenerCallback - done in 100ms",
        &[
            "IOThunderboltSwitch<<*>>(<*>)::listenerCallback",
            "-",
            "done",
            "in",
            "<*>",
        ],
    );
    check(
        "Created MRAppMaster for application appattempt_1445144423722_0020_000001",
        &["Created", "MRAppMaster", "for", "application", "<*>"],
    );
    // A digit inside a name does not make it a value: the miner decides from variation.
    check(
        "jk2_init() Found child 6725 via eth1 (BIOS-e820)",
        &[
            "jk2_init()",
            "Found",
            "child",
            "<*>",
            "via",
            "eth1",
            "(BIOS-e820)",
        ],
    );
}

#[test]
fn key_value_pairs_split_and_keep_empty_values() {
    check(
        "authentication failure; logname= uid=0 euid=0 tty=NODEVssh rhost=218.188.2.4",
        &[
            "authentication",
            "failure;",
            "logname=",
            "",
            "uid=",
            "<*>",
            "euid=",
            "<*>",
            "tty=",
            "NODEVssh",
            "rhost=",
            "<*>",
        ],
    );
    check("(HWID=1973) a==b", &["(HWID=", "<*>)", "a==b"]);
}

#[test]
fn paths_and_urls_are_variables() {
    check(
        "fetch /v2/54fadb412c4e/servers/detail HTTP/1.1 /etc/hosts chdir(/p/gb1/x) PS/2 n/a",
        &[
            "fetch",
            "<*>",
            "HTTP/<*>",
            "<*>",
            "chdir(<*>)",
            "PS/<*>",
            "n/a",
        ],
    );
    check(
        "from /10.250.19.102:54106 to hdfs://namenode:8020/a/b on 2017-07-01",
        &["from", "<*>:<*>", "to", "hdfs://<*>", "on", "<*>-<*>-<*>"],
    );
    check(
        "processor.........................0 at android.intent.action.SCREEN_ON",
        &[
            "processor.........................<*>",
            "at",
            "android.intent.action.SCREEN_ON",
        ],
    );
}

#[test]
fn dots_after_a_path_belong_to_it() {
    check(
        "allocateBlock: /user/root/_task_01/part-00011. blk_42 at /tmp/x, done.",
        &["allocateBlock:", "<*>", "<*>", "at", "<*>,", "done."],
    );
}

#[test]
fn dotted_names_follow_the_rule() {
    check(
        "open through proxy.cse.cuhk.edu.hk",
        &["open", "through", "<*>"],
    );
    let mut tokenizer = Tokenizer::default();
    let message = "open through proxy.cse.cuhk.edu.hk";
    tokenizer.tokenize(
        message,
        MaskingRules {
            dotted_names: false,
        },
        100,
        |_| None,
    );
    let last = tokenizer.tokens.last().map(|t| tokenizer.text(message, t));
    assert_eq!(last, Some("proxy.cse.cuhk.edu.hk"));
}

#[test]
fn dates_inside_messages_are_variables() {
    check(
        "connection from 1.2.3.4 () at Fri Jun 17 07:07:00 2005",
        &["connection", "from", "<*>", "()", "at", "<*>:<*>:<*>"],
    );
    check("expires (Mon, 3 March 2025)", &["expires", "(<*>, <*>)"]);
    check("at Jun 17 07:07:00 and", &["at", "<*>:<*>:<*>", "and"]);
    check("March on, Sun Tzu", &["March", "on,", "Sun", "Tzu"]);
    check("it may take 5 s", &["it", "may", "take", "<*>", "s"]);
}

#[test]
fn account_names_after_for_user_are_variables() {
    check(
        "session opened for user alice by (uid=0)",
        &[
            "session", "opened", "for", "user", "<*>", "by", "(uid=", "<*>)",
        ],
    );
    check(
        "Closed due to user request. check pass; user unknown",
        &[
            "Closed", "due", "to", "user", "request.", "check", "pass;", "user", "unknown",
        ],
    );
}

#[test]
fn quoted_strings_are_one_token() {
    check(
        r#"acquire tag="View Lock", name='a b' said 'hello there' "GET / HTTP/1.1" x="open"#,
        &[
            "acquire",
            "tag=",
            r#""View Lock","#,
            "name=",
            "'a b'",
            "said",
            "'hello",
            "there'",
            r#""GET"#,
            r#"<*>""#,
            "x=",
            r#""open"#,
        ],
    );
}

#[test]
fn request_target_and_version_are_one_value() {
    check(
        r#"10.11.10.1 "GET /v2/54fadb/servers/detail HTTP/1.1" status: 200"#,
        &["<*>", r#""GET"#, r#"<*>""#, "status:", "<*>"],
    );
    check(
        "DELETE /index.html HTTP/2 took 5 ms",
        &["DELETE", "<*>", "took", "<*>", "ms"],
    );
    // A method word without a request line after it stays as it is.
    check("GET request failed", &["GET", "request", "failed"]);
}

#[test]
fn size_units_stay_tokens_for_the_miner() {
    // Whether a unit belongs to its number is the miner's call: it does when the unit changes.
    check(
        "stored (estimated size 5.2 KB, free 216 B) in B",
        &[
            "stored",
            "(estimated",
            "size",
            "<*>",
            "KB,",
            "free",
            "<*>",
            "B)",
            "in",
            "B",
        ],
    );
    // In brackets of their own, a number and its unit are one value.
    check(
        "0 bytes (1.37 KB) sent (2 KB, 3 MB)",
        &["<*>", "bytes", "(<*>)", "sent", "(<*>", "KB,", "<*>", "MB)"],
    );
    assert_eq!(size_unit_suffix("KB,"), Some(","));
    assert_eq!(size_unit_suffix("MB"), Some(""));
    assert_eq!(size_unit_suffix("(MB"), None);
    assert_eq!(size_unit_suffix("bytes"), None);
}

#[test]
fn mac_and_ipv6_addresses_are_one_value() {
    check(
        "DHCPDISCOVER from 00:11:43:e3:ba:c3 via (fe80::1c2:3ff:fe4a:5b6c) at 12:01:02",
        &[
            "DHCPDISCOVER",
            "from",
            "<*>",
            "via",
            "(<*>)",
            "at",
            "<*>:<*>:<*>",
        ],
    );
}

#[test]
fn numbered_names_keep_their_name() {
    check(
        "generating core.2275 on node-12 with jetty-6.1.26 in UTF-8",
        &[
            "generating",
            "core.<*>",
            "on",
            "node-<*>",
            "with",
            "jetty-<*>",
            "in",
            "UTF-<*>",
        ],
    );
    // Identifiers joined by `_`, and names holding digits, stay one value or one word.
    check(
        "blk_-42 job_1445_0020 BP-1088-10.1.1.1-14 eth1 v1.2.3 usbarb-12.log msra-sa-41",
        &["<*>", "<*>", "BP-<*>", "eth1", "<*>", "<*>", "<*>"],
    );
}

#[test]
fn long_messages_fold_into_a_variable_tail() {
    let mut tokenizer = Tokenizer::default();
    tokenizer.tokenize("a b c d e f g", RULES, 4, |_| None);
    assert_eq!(tokenizer.tokens.len(), 4);
    assert_eq!(tokenizer.tokens[3].text, TokenText::Wildcard);
}

#[test]
fn empty_and_unicode_messages() {
    check("", &[]);
    check("   \t ", &[]);
    check("ошибка 42 произошла", &["ошибка", "<*>", "произошла"]);
    check("é1é 7é", &["é1é", "<*>"]);
}
