//! The secret and personal-data detectors: their patterns, the checks that confirm a match,
//! and the compiled literal-trigger prefilter that decides which detectors run on a text.

use super::*;
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};

/// Which configuration switch a detector belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    Secrets,
    Emails,
    CreditCards,
    IpAddresses,
    Hostnames,
}

/// How a detector decides whether a regex match is a real finding and what span to replace.
#[derive(Debug, Clone, Copy)]
pub(super) enum Check {
    /// Replace the whole match.
    Whole,
    /// Replace capture group 1.
    Group1,
    /// Key/value pair: classify the key, replace the value.
    KeyValue,
    /// `Authorization:` header: kind from the scheme, replace the credential.
    AuthorizationHeader,
    /// Bare `Bearer x` / `Basic x`: only token-looking credentials.
    BareScheme,
    /// Password in a URL: replace group 1 unless it is a placeholder.
    UrlPassword,
    /// Command-line flag naming a secret (`--db-password x`): classify the flag, replace the
    /// value.
    CliFlag,
    /// A secret word followed by a quoted value (`password 'Hunter2!'`): only values that
    /// are not plain words.
    QuotedAfterWord,
    /// OpenAI-style keys need letters and digits.
    MixedAlphanumeric,
    /// E-mail: skip `icon@2x.png`-style file names.
    Email,
    /// Card numbers: boundaries, length, issuer prefix and Luhn.
    CreditCard,
    /// IPv4: not part of a longer dotted number.
    Ipv4,
    /// IPv6 candidates must parse.
    Ipv6,
    /// Dotted names: only those `hostnames::is_hostname` accepts.
    Hostname,
}

pub(super) struct Detector {
    pub(super) kind: RedactionKind,
    pub(super) family: Family,
    pub(super) regex: Regex,
    pub(super) check: Check,
}

/// Bit per detector in `Compiled::detectors`.
pub(super) type DetectorMask = u32;

/// The compiled detectors and prefilter, shared by every `Redactor` (compiling them takes
/// milliseconds, and sessions are created often).
pub(super) struct Compiled {
    pub(super) detectors: Vec<Detector>,
    /// Literal triggers, with a SIMD (Teddy) prefilter: for longer text.
    pub(super) triggers: AhoCorasick,
    /// The same triggers as a plain DFA: for short text (keys, attribute values), where the
    /// prefilter's set-up costs more than the scan.
    pub(super) short_triggers: AhoCorasick,
    /// For each trigger pattern, the detectors it makes worth running.
    pub(super) trigger_masks: Vec<DetectorMask>,
    /// Detectors run when the text holds an `@`.
    pub(super) at_sign_mask: DetectorMask,
    /// Detectors run when the text holds 13 or more digits in a row (spaces and dashes allowed).
    pub(super) digit_run_mask: DetectorMask,
    /// Detectors run on any text that has a `.` or `:` (IP addresses, when enabled).
    pub(super) address_mask: DetectorMask,
    /// Detectors run on any text that has a `.` (host names, when enabled).
    pub(super) dotted_mask: DetectorMask,
}

/// Below this length the plain DFA beats the prefiltered search.
pub(super) const SHORT_TEXT: usize = 64;

impl Compiled {
    pub(super) fn triggers_for(&self, text: &[u8]) -> &AhoCorasick {
        if text.len() < SHORT_TEXT {
            &self.short_triggers
        } else {
            &self.triggers
        }
    }
}

pub(super) fn regex(pattern: &str) -> Regex {
    // The patterns are constants tested below; failing to compile is a programming error.
    #[allow(clippy::expect_used)]
    Regex::new(pattern).expect("redaction pattern compiles")
}

pub(super) fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(build_compiled)
}

/// Secret-ish words inside key names. Order matters only for readability.
pub(super) const SECRET_KEY_WORDS: &str = r"password|passwd|passphrase|pwd|pass|secret|api[_-]?key|apikey|access[_-]?key|account[_-]?key|private[_-]?key|credentials?|token";

/// Literal triggers of the detectors keyed by a secret word. Some are word tails (`ecret`,
/// `oken`) so one literal covers `secret`, `Secret` and `clientSecret`: the whole trigger set
/// must stay within Teddy's 64-pattern SIMD limit.
pub(super) const SECRET_WORD_TRIGGERS: &[&str] = &[
    "~pass",
    "~pwd",
    "ecret",
    "ECRET",
    "pi_key",
    "PI_KEY",
    "piKey",
    "pikey",
    "PIKEY",
    "~api-key",
    "~access_key",
    "~private_key",
    "redential",
    "REDENTIAL",
    "oken",
    "OKEN",
    "AccountKey",
];

pub(super) fn build_compiled() -> Compiled {
    // (kind, family, pattern, check, literal triggers; "@", "#digits", "#address" and
    // "#dotted" are pseudo-triggers for the byte prefilters).
    let table: Vec<(RedactionKind, Family, String, Check, &[&str])> = vec![
        (
            RedactionKind::PrivateKey,
            Family::Secrets,
            r"(?s)-----BEGIN[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----.*?(?:-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|\z)".into(),
            Check::Whole,
            &["PRIVATE KEY"],
        ),
        (
            RedactionKind::AwsSecretKey,
            Family::Secrets,
            r#"(?i)(?:aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key)["']?\s*[:=]\s*["']?([A-Za-z0-9/+=]{40})(?:[^A-Za-z0-9/+=]|$)"#.into(),
            Check::Group1,
            &["ecret", "ECRET"],
        ),
        (
            RedactionKind::AwsAccessKey,
            Family::Secrets,
            r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b".into(),
            Check::Whole,
            &["AKIA", "ASIA"],
        ),
        (
            RedactionKind::GithubToken,
            Family::Secrets,
            r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b".into(),
            Check::Whole,
            &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        ),
        (
            RedactionKind::GitlabToken,
            Family::Secrets,
            // Personal, runner, deploy, pipeline-trigger and CI-build tokens.
            r"\bgl(?:pat|rt|dt|ptt|cbt)-[A-Za-z0-9_-]{20,}".into(),
            Check::Whole,
            &["glpat-", "glrt-", "gldt-", "glptt-", "glcbt-"],
        ),
        (
            RedactionKind::NpmToken,
            Family::Secrets,
            r"\bnpm_[A-Za-z0-9]{36}\b".into(),
            Check::Whole,
            &["npm_"],
        ),
        (
            RedactionKind::SlackToken,
            Family::Secrets,
            r"\b(?:xox[abposre]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,})".into(),
            Check::Whole,
            &["xox", "xapp-"],
        ),
        (
            RedactionKind::SlackWebhook,
            Family::Secrets,
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9/_-]{16,})".into(),
            Check::Group1,
            &["hooks.slack.com"],
        ),
        (
            RedactionKind::StripeKey,
            Family::Secrets,
            r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}\b".into(),
            Check::Whole,
            &["k_live_", "k_test_"],
        ),
        (
            RedactionKind::AnthropicKey,
            Family::Secrets,
            r"\bsk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{20,}".into(),
            Check::Whole,
            &["sk-"],
        ),
        (
            RedactionKind::OpenaiKey,
            Family::Secrets,
            r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}".into(),
            Check::MixedAlphanumeric,
            &["sk-"],
        ),
        (
            RedactionKind::GoogleApiKey,
            Family::Secrets,
            r"\bAIza[0-9A-Za-z_-]{35}".into(),
            Check::Whole,
            &["AIza"],
        ),
        (
            RedactionKind::GcpAccessToken,
            Family::Secrets,
            r"\bya29\.[0-9A-Za-z_-]{20,}".into(),
            Check::Whole,
            &["ya29."],
        ),
        (
            RedactionKind::AzureSasToken,
            Family::Secrets,
            r"(?:^|[?&;\s])sig=([A-Za-z0-9%/+=]{16,})".into(),
            Check::Group1,
            &["sig="],
        ),
        (
            RedactionKind::Jwt,
            Family::Secrets,
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*".into(),
            Check::Whole,
            &["eyJ"],
        ),
        (
            RedactionKind::Authorization,
            Family::Secrets,
            r#"(?i)\b(?:proxy-)?authorization["']?\s*[:=]\s*["']?(?:(bearer|basic|digest|token|negotiate|apikey)\s+)?([A-Za-z0-9._~+/=-]{6,})"#.into(),
            Check::AuthorizationHeader,
            &["uthorization", "UTHORIZATION"],
        ),
        (
            RedactionKind::BearerToken,
            Family::Secrets,
            r"(?i)\b(bearer|basic)\s+([A-Za-z0-9._~+/-]{8,}=*)".into(),
            Check::BareScheme,
            &["earer", "EARER", "asic", "ASIC"],
        ),
        (
            RedactionKind::Password,
            Family::Secrets,
            r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@]{0,128}:([^\s@/]{1,256})@".into(),
            Check::UrlPassword,
            &["@"],
        ),
        (
            RedactionKind::Password,
            Family::Secrets,
            format!(
                r#"(?i)(?:^|[\s'"])(--?[A-Za-z0-9_.-]*(?:{SECRET_KEY_WORDS})[A-Za-z0-9_.-]*)[ \t]+(?:"([^"\r\n]{{1,256}})"|'([^'\r\n]{{1,256}})'|([^\s"'-][^\s]{{0,255}}))"#
            ),
            Check::CliFlag,
            SECRET_WORD_TRIGGERS,
        ),
        (
            RedactionKind::Password,
            Family::Secrets,
            r#"(?i)\b(password|passwd|passphrase|secret|token|api[_-]?key)[ \t]+(?:"([^"\s]{4,256})"|'([^'\s]{4,256})')"#.into(),
            Check::QuotedAfterWord,
            SECRET_WORD_TRIGGERS,
        ),
        (
            // `docker login -u ci -p x`, `mysql -u root -px`: a password flag right after a
            // user flag.
            RedactionKind::Password,
            Family::Secrets,
            r"(?:^|\s)-u[ \t]?[^\s-]\S*[ \t]+-p[ \t]?([^\s-]\S*)".into(),
            Check::Group1,
            &[" -u"],
        ),
        (
            RedactionKind::Secret,
            Family::Secrets,
            format!(
                r#"(?i)([A-Za-z0-9_.-]*(?:{SECRET_KEY_WORDS})[A-Za-z0-9_.-]*)["']?[ \t]*(?:=|:)[ \t]*(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s,;&"'}}<>\]\[)(]+))"#
            ),
            Check::KeyValue,
            SECRET_WORD_TRIGGERS,
        ),
        (
            RedactionKind::Email,
            Family::Emails,
            r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b".into(),
            Check::Email,
            &["@"],
        ),
        (
            RedactionKind::CreditCard,
            Family::CreditCards,
            // Groups of four or more digits, the last of three or more; the check counts 13 to 19.
            r"\d{4,19}(?:[ -]\d{3,19}){0,5}".into(),
            Check::CreditCard,
            &["#digits"],
        ),
        (
            RedactionKind::IpAddress,
            Family::IpAddresses,
            r"\b(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\b".into(),
            Check::Ipv4,
            &["#address"],
        ),
        (
            RedactionKind::IpAddress,
            Family::IpAddresses,
            r"(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?".into(),
            Check::Ipv6,
            &["#address"],
        ),
        (
            // Last: at the same start any other detector's reading wins.
            RedactionKind::Hostname,
            Family::Hostnames,
            super::hostnames::HOSTNAME_PATTERN.into(),
            Check::Hostname,
            &["#dotted"],
        ),
    ];

    debug_assert!(table.len() <= DetectorMask::BITS as usize);
    let mut detectors = Vec::new();
    let mut literals: Vec<String> = Vec::new();
    let mut trigger_masks: Vec<DetectorMask> = Vec::new();
    let mut at_sign_mask = 0;
    let mut digit_run_mask = 0;
    let mut address_mask = 0;
    let mut dotted_mask = 0;
    for (index, (kind, family, pattern, check, triggers)) in table.into_iter().enumerate() {
        let bit: DetectorMask = 1 << index;
        for &trigger in triggers {
            match trigger {
                "@" => at_sign_mask |= bit,
                "#digits" => digit_run_mask |= bit,
                "#address" => address_mask |= bit,
                "#dotted" => dotted_mask |= bit,
                literal => {
                    for variant in trigger_variants(literal) {
                        match literals.iter().position(|known| *known == variant) {
                            Some(position) => trigger_masks[position] |= bit,
                            None => {
                                literals.push(variant);
                                trigger_masks.push(bit);
                            }
                        }
                    }
                }
            }
        }
        detectors.push(Detector {
            kind,
            family,
            regex: regex(&pattern),
            check,
        });
    }
    // Case variants are listed rather than matched case-insensitively: that keeps the set
    // under Teddy's 64-pattern limit with SIMD prefiltering, several times faster on the text
    // that holds no trigger at all (nearly all of it).
    debug_assert!(literals.len() <= 64, "{} triggers", literals.len());
    #[allow(clippy::expect_used)]
    let triggers = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .build(&literals)
        .expect("literal triggers build");
    #[allow(clippy::expect_used)]
    let short_triggers = AhoCorasickBuilder::new()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .prefilter(false)
        .build(&literals)
        .expect("literal triggers build");
    Compiled {
        detectors,
        triggers,
        short_triggers,
        trigger_masks,
        at_sign_mask,
        digit_run_mask,
        address_mask,
        dotted_mask,
    }
}

/// The literals a trigger stands for. `~word` is a keyword in its usual spellings (`pass`,
/// `PASS`, `Pass`; for `api_key` also `apiKey` and `ApiKey`); anything else is literal.
pub(super) fn trigger_variants(trigger: &str) -> Vec<String> {
    let Some(word) = trigger.strip_prefix('~') else {
        return vec![trigger.to_owned()];
    };
    let capitalize = |part: &str| {
        let mut characters = part.chars();
        characters
            .next()
            .map(|first| first.to_ascii_uppercase().to_string() + characters.as_str())
            .unwrap_or_default()
    };
    let mut variants = vec![word.to_owned(), word.to_ascii_uppercase()];
    let parts: Vec<&str> = word.split(['_', '-']).collect();
    if parts.len() == 1 {
        variants.push(capitalize(word));
    } else if word.contains('_') {
        let tail: String = parts[1..].iter().map(|part| capitalize(part)).collect();
        variants.push(format!("{}{tail}", parts[0]));
        variants.push(format!("{}{tail}", capitalize(parts[0])));
    } else {
        let words: Vec<String> = parts.iter().map(|part| capitalize(part)).collect();
        variants.push(words.join("-"));
    }
    variants.dedup();
    variants
}
