//! Redaction: secrets and personal data are replaced by typed placeholders
//! (`<REDACTED:email:1>`) before any record leaves this crate.
//!
//! Most text holds nothing to redact, so the common path is one Aho-Corasick scan for literal
//! triggers (`AKIA`, `ghp_`, `password`, `Bearer`, ...), a `memchr` for `@` and a digit-run
//! count; only when one of them fires do the detectors' regexes run, and only those the
//! trigger points to.

use crate::RedactionConfig;
use detectors::*;
use regex::{Captures, Regex};
use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Mutex, OnceLock};

/// What a placeholder stands for. More detectors will be added; match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RedactionKind {
    /// AWS access key id (`AKIA...`, `ASIA...`).
    AwsAccessKey,
    /// AWS secret access key, recognised by its key name.
    AwsSecretKey,
    /// GitHub token (`ghp_`, `gho_`, `github_pat_`, ...).
    GithubToken,
    /// GitLab personal access token (`glpat-`).
    GitlabToken,
    /// npm access token (`npm_`).
    NpmToken,
    /// Slack token (`xoxb-`, `xoxp-`, ...).
    SlackToken,
    /// Stripe secret or restricted key (`sk_live_`, `rk_live_`).
    StripeKey,
    /// OpenAI-style key (`sk-...`, `sk-proj-...`).
    OpenaiKey,
    /// Anthropic API key (`sk-ant-api03-...`).
    AnthropicKey,
    /// Google API key (`AIza...`).
    GoogleApiKey,
    /// Google OAuth access token (`ya29.`...).
    GcpAccessToken,
    /// The signature of an Azure shared access signature (`sig=` in a SAS URL or token).
    AzureSasToken,
    /// The secret path of a Slack incoming webhook URL.
    SlackWebhook,
    /// JSON Web Token.
    Jwt,
    /// The credential of an `Authorization: Bearer` header or a bare `Bearer` token.
    BearerToken,
    /// The credential of an `Authorization: Basic` header.
    BasicAuth,
    /// An `Authorization` header value with another or no scheme.
    Authorization,
    /// A PEM private key block.
    PrivateKey,
    /// A password (in a URL or a `password=` style pair).
    Password,
    /// A value under a `secret`/`credential` style key.
    Secret,
    /// A value under an `api_key` style key.
    ApiKey,
    /// A value under a `token` style key.
    Token,
    /// An e-mail address.
    Email,
    /// A payment card number.
    CreditCard,
    /// An IPv4 or IPv6 address.
    IpAddress,
    /// A host name or fully qualified domain name (`db-01.prod.internal`).
    Hostname,
}

impl RedactionKind {
    /// The name used inside placeholders.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwsAccessKey => "aws_access_key",
            Self::AwsSecretKey => "aws_secret_key",
            Self::GithubToken => "github_token",
            Self::GitlabToken => "gitlab_token",
            Self::NpmToken => "npm_token",
            Self::SlackToken => "slack_token",
            Self::StripeKey => "stripe_key",
            Self::OpenaiKey => "openai_key",
            Self::AnthropicKey => "anthropic_key",
            Self::GoogleApiKey => "google_api_key",
            Self::GcpAccessToken => "gcp_access_token",
            Self::AzureSasToken => "azure_sas_token",
            Self::SlackWebhook => "slack_webhook",
            Self::Jwt => "jwt",
            Self::BearerToken => "bearer_token",
            Self::BasicAuth => "basic_auth",
            Self::Authorization => "authorization",
            Self::PrivateKey => "private_key",
            Self::Password => "password",
            Self::Secret => "secret",
            Self::ApiKey => "api_key",
            Self::Token => "token",
            Self::Email => "email",
            Self::CreditCard => "credit_card",
            Self::IpAddress => "ip_address",
            Self::Hostname => "hostname",
        }
    }
}

/// One span to replace.
#[derive(Debug, Clone, Copy)]
struct Found {
    start: usize,
    end: usize,
    kind: RedactionKind,
    /// Lower wins when two detectors claim the same span.
    priority: usize,
}

/// Replaces secrets and personal data in text with typed placeholders. Built once and shared
/// (`Send + Sync`); placeholder numbering, when enabled, is consistent for the redactor's life.
pub struct Redactor {
    config: RedactionConfig,
    compiled: &'static Compiled,
    numbering: Option<Mutex<Numbering>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Remembers which secret got which number, by keyed hash only: the secrets themselves are
/// never stored.
struct Numbering {
    hasher: RandomState,
    numbers: HashMap<(RedactionKind, u64), u32>,
    next: HashMap<RedactionKind, u32>,
}

/// Distinct secrets numbered per redactor; beyond it placeholders carry no number, so a
/// long-lived redactor cannot grow without bound.
const MAX_NUMBERED_SECRETS: usize = 65_536;

impl Numbering {
    fn number(&mut self, kind: RedactionKind, secret: &str) -> Option<u32> {
        let key = (kind, self.hasher.hash_one(secret));
        if let Some(&number) = self.numbers.get(&key) {
            return Some(number);
        }
        if self.numbers.len() >= MAX_NUMBERED_SECRETS {
            return None;
        }
        let next = self.next.entry(kind).or_insert(0);
        *next += 1;
        self.numbers.insert(key, *next);
        Some(*next)
    }
}

impl Redactor {
    /// Builds a redactor with the detectors `config` turns on.
    pub fn new(config: &RedactionConfig) -> Self {
        Self {
            config: config.clone(),
            compiled: compiled(),
            numbering: config.numbered_placeholders.then(|| {
                Mutex::new(Numbering {
                    hasher: RandomState::new(),
                    numbers: HashMap::new(),
                    next: HashMap::new(),
                })
            }),
        }
    }

    /// Returns `text` with every secret replaced; borrows `text` unchanged when nothing matched.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if !self.config.enabled || text.is_empty() {
            return Cow::Borrowed(text);
        }
        let mask = self.candidate_detectors(text);
        if mask == 0 {
            return Cow::Borrowed(text);
        }
        let found = self.find(text, mask);
        if found.is_empty() {
            return Cow::Borrowed(text);
        }
        Cow::Owned(self.replace(text, &found))
    }

    /// Redacts a structured field: when the key names a secret (`password`, `api_key`,
    /// `client_secret`, ...) the whole value is replaced; otherwise the value is scanned like
    /// any text.
    pub fn redact_field<'a>(&self, key: &str, value: &'a str) -> Cow<'a, str> {
        if !self.config.enabled {
            return Cow::Borrowed(value);
        }
        // The trigger scan is the cheap test; most keys (`status`, `path`) have no trigger.
        if self.config.secrets && self.compiled.triggers_for(key.as_bytes()).is_match(key) {
            if let Some(kind) = classify_secret_key(key) {
                if !is_non_secret_value(value) {
                    return Cow::Owned(self.placeholder(kind, value));
                }
            }
        }
        self.redact(value)
    }

    /// Like [`redact`](Self::redact) for text that may already be owned.
    pub fn redact_cow<'a>(&self, text: Cow<'a, str>) -> Cow<'a, str> {
        match text {
            Cow::Borrowed(text) => self.redact(text),
            Cow::Owned(text) => {
                let redacted = match self.redact(&text) {
                    Cow::Borrowed(_) => None,
                    Cow::Owned(redacted) => Some(redacted),
                };
                Cow::Owned(redacted.unwrap_or(text))
            }
        }
    }

    /// Like [`redact_field`](Self::redact_field) for a value that may already be owned.
    pub fn redact_field_cow<'a>(&self, key: &str, value: Cow<'a, str>) -> Cow<'a, str> {
        match value {
            Cow::Borrowed(value) => self.redact_field(key, value),
            Cow::Owned(value) => {
                let redacted = match self.redact_field(key, &value) {
                    Cow::Borrowed(_) => None,
                    Cow::Owned(redacted) => Some(redacted),
                };
                Cow::Owned(redacted.unwrap_or(value))
            }
        }
    }

    /// The spans that would be replaced and what they are, in text order (for tests and
    /// measurements).
    pub fn find_secrets(&self, text: &str) -> Vec<(std::ops::Range<usize>, RedactionKind)> {
        if !self.config.enabled {
            return Vec::new();
        }
        let mask = self.candidate_detectors(text);
        self.find(text, mask)
            .into_iter()
            .map(|found| (found.start..found.end, found.kind))
            .collect()
    }

    fn family_enabled(&self, family: Family) -> bool {
        match family {
            Family::Secrets => self.config.secrets,
            Family::Emails => self.config.emails,
            Family::CreditCards => self.config.credit_cards,
            Family::IpAddresses => self.config.ip_addresses,
            Family::Hostnames => self.config.hostnames,
        }
    }

    fn candidate_detectors(&self, text: &str) -> DetectorMask {
        let compiled = self.compiled;
        let bytes = text.as_bytes();
        let mut mask = 0;
        // `is_match` is the fast "anything here?" check; only text that has a trigger pays for
        // the overlapping scan that finds all of them.
        if self.config.secrets {
            let triggers = compiled.triggers_for(bytes);
            if triggers.is_match(bytes) {
                for found in triggers.find_overlapping_iter(bytes) {
                    mask |= compiled.trigger_masks[found.pattern().as_usize()];
                }
            }
        }
        if (self.config.emails || self.config.secrets) && memchr::memchr(b'@', bytes).is_some() {
            mask |= compiled.at_sign_mask;
        }
        if self.config.credit_cards && has_long_digit_run(bytes, 13) {
            mask |= compiled.digit_run_mask;
        }
        if self.config.ip_addresses && memchr::memchr2(b'.', b':', bytes).is_some() {
            mask |= compiled.address_mask;
        }
        if self.config.hostnames && memchr::memchr(b'.', bytes).is_some() {
            mask |= compiled.dotted_mask;
        }
        mask
    }

    fn find(&self, text: &str, mask: DetectorMask) -> Vec<Found> {
        let mut found = Vec::new();
        for (index, detector) in self.compiled.detectors.iter().enumerate() {
            if mask & (1 << index) == 0 || !self.family_enabled(detector.family) {
                continue;
            }
            for captures in detector.regex.captures_iter(text) {
                if matches!(detector.check, Check::CreditCard) {
                    let run = captures.get(0).map_or(0..0, |run| run.range());
                    for (start, end) in card_numbers(text, run.start, run.end) {
                        found.push(Found {
                            start,
                            end,
                            kind: RedactionKind::CreditCard,
                            priority: index,
                        });
                    }
                    continue;
                }
                if let Some((start, end, kind)) = judge(detector, text, &captures) {
                    if start < end {
                        found.push(Found {
                            start,
                            end,
                            kind,
                            priority: index,
                        });
                    }
                }
            }
        }
        // Earliest first; at the same start the more specific detector (listed earlier) wins,
        // so `user:pass@host` is a password, not an e-mail. Overlapping later spans are dropped.
        found.sort_by_key(|f| (f.start, f.priority, std::cmp::Reverse(f.end)));
        let mut kept: Vec<Found> = Vec::with_capacity(found.len());
        for candidate in found {
            match kept.last() {
                Some(last) if candidate.start < last.end => {}
                _ => kept.push(candidate),
            }
        }
        kept
    }

    fn replace(&self, text: &str, found: &[Found]) -> String {
        let mut out = String::with_capacity(text.len() + 16 * found.len());
        let mut position = 0;
        for item in found {
            out.push_str(&text[position..item.start]);
            out.push_str(&self.placeholder(item.kind, &text[item.start..item.end]));
            position = item.end;
        }
        out.push_str(&text[position..]);
        out
    }

    fn placeholder(&self, kind: RedactionKind, secret: &str) -> String {
        let number = self.numbering.as_ref().and_then(|numbering| {
            // A poisoned lock only means another thread panicked mid-insert; the map is still
            // usable.
            let mut numbering = numbering
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            numbering.number(kind, secret)
        });
        match number {
            Some(number) => format!("<REDACTED:{}:{number}>", kind.as_str()),
            None => format!("<REDACTED:{}>", kind.as_str()),
        }
    }
}

/// True when `bytes` holds at least `needed` digits in one run, single spaces or dashes
/// allowed between them (`4111 1111 1111 1111`).
///
/// Such a run covers at least `needed` consecutive bytes, so the scan looks only at every
/// `needed`-th byte until one could belong to a run: most text is skipped without a look.
fn has_long_digit_run(bytes: &[u8], needed: usize) -> bool {
    let in_run = |byte: u8| byte.is_ascii_digit() || byte == b' ' || byte == b'-';
    let mut start = 0;
    while start + needed <= bytes.len() {
        let probe = start + needed - 1;
        if !in_run(bytes[probe]) {
            start = probe + 1;
            continue;
        }
        let mut run_start = probe;
        while run_start > start && in_run(bytes[run_start - 1]) {
            run_start -= 1;
        }
        let (found, stop) = count_digit_run(bytes, run_start, needed);
        if found {
            return true;
        }
        start = stop.max(start + 1);
    }
    false
}

/// Counts digits from `from` while only single separators sit between them, each after a
/// group of at least four digits (`4111 1111 1111 1111`, `3782-822463-10005`; numbers in
/// prose like `orders/482113 200 3012ms` are not card-shaped); returns whether `needed` were
/// reached and where the run stopped.
fn count_digit_run(bytes: &[u8], from: usize, needed: usize) -> (bool, usize) {
    let mut digits = 0;
    let mut group = 0;
    let mut previous_was_separator = true;
    let mut position = from;
    while position < bytes.len() {
        let byte = bytes[position];
        if byte.is_ascii_digit() {
            digits += 1;
            group += 1;
            if digits >= needed {
                return (true, position);
            }
            previous_was_separator = false;
        } else if (byte == b' ' || byte == b'-') && !previous_was_separator && group >= 4 {
            previous_was_separator = true;
            group = 0;
        } else if digits > 0 {
            return (false, position);
        }
        position += 1;
    }
    (false, position)
}

/// Decides whether a regex match is a finding; returns the span to replace and its kind.
fn judge(
    detector: &Detector,
    text: &str,
    captures: &Captures<'_>,
) -> Option<(usize, usize, RedactionKind)> {
    let whole = captures.get(0)?;
    match detector.check {
        Check::Whole => Some((whole.start(), whole.end(), detector.kind)),
        Check::Group1 => {
            let group = captures.get(1)?;
            Some((group.start(), group.end(), detector.kind))
        }
        Check::MixedAlphanumeric => {
            let body = whole.as_str();
            let digits = body.bytes().filter(u8::is_ascii_digit).count();
            let letters = body.bytes().filter(u8::is_ascii_alphabetic).count();
            (digits >= 2 && letters >= 8).then_some((whole.start(), whole.end(), detector.kind))
        }
        Check::KeyValue => {
            let key = captures.get(1)?.as_str();
            let value = captures
                .get(2)
                .or_else(|| captures.get(3))
                .or_else(|| captures.get(4))?;
            let kind = classify_secret_key(key)?;
            if is_non_secret_value(value.as_str()) {
                return None;
            }
            let bare = captures.get(4).is_some();
            // `api_key: !vault |`: a YAML tag saying where the value comes from.
            if bare && is_yaml_tag(value.as_str()) {
                return None;
            }
            if bare {
                let next = text.as_bytes().get(value.end()).copied();
                let text = value.as_str();
                // `password: is required` is prose; `token=Token{a64f992 ...}` is an object
                // dump; a bare token shorter than 8 characters is a word, not a credential.
                if is_prose_word(text)
                    || is_object_reference(text)
                    || text.contains('{')
                    || matches!(next, Some(b'(' | b'{'))
                    || (kind == RedactionKind::Token && text.len() < 8)
                {
                    return None;
                }
            }
            Some((value.start(), value.end(), kind))
        }
        Check::AuthorizationHeader => {
            let credential = captures.get(2)?;
            // `Authorization: Bearer <token>`: the scheme did not match because what follows
            // is a placeholder, so the "credential" is the scheme word itself.
            if captures.get(1).is_none() && is_auth_scheme(credential.as_str()) {
                return None;
            }
            let kind = match captures.get(1).map(|m| m.as_str().to_ascii_lowercase()) {
                Some(scheme) if scheme == "bearer" => RedactionKind::BearerToken,
                Some(scheme) if scheme == "basic" => RedactionKind::BasicAuth,
                _ => RedactionKind::Authorization,
            };
            if is_non_secret_value(credential.as_str()) {
                return None;
            }
            Some((credential.start(), credential.end(), kind))
        }
        Check::BareScheme => {
            let scheme = captures.get(1)?.as_str();
            let credential = captures.get(2)?;
            let value = credential.as_str();
            if !looks_like_credential(value) {
                return None;
            }
            let kind = if scheme.eq_ignore_ascii_case("basic") {
                RedactionKind::BasicAuth
            } else {
                RedactionKind::BearerToken
            };
            Some((credential.start(), credential.end(), kind))
        }
        Check::CliFlag | Check::QuotedAfterWord => {
            let flag = captures.get(1)?.as_str();
            let value = captures
                .get(2)
                .or_else(|| captures.get(3))
                .or_else(|| captures.get(4))?;
            let kind = classify_secret_key(flag.trim_start_matches('-'))?;
            let text = value.as_str();
            if is_non_secret_value(text) || is_prose_word(text) {
                return None;
            }
            let path = text.starts_with('/') && text[1..].contains('/');
            // Flags are lowercase words (`--db-password`); `-pS3cr3tPass` is a value glued to
            // its flag, handled by the user/password flag detector.
            let flag_shaped = flag.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
            });
            // After a bare word only values that cannot be a name (`secret "checkout-db" not
            // found` names a Kubernetes object): a digit or a symbol.
            let identifier = text
                .bytes()
                .all(|b| b.is_ascii_alphabetic() || matches!(b, b'-' | b'_' | b'.'));
            let quoted_after_word = matches!(detector.check, Check::QuotedAfterWord);
            if path
                || (kind == RedactionKind::Token && text.len() < 8)
                || (!quoted_after_word && !flag_shaped)
                || (quoted_after_word && identifier)
            {
                return None;
            }
            Some((value.start(), value.end(), kind))
        }
        Check::UrlPassword => {
            let password = captures.get(1)?;
            if is_non_secret_value(password.as_str()) {
                return None;
            }
            Some((password.start(), password.end(), RedactionKind::Password))
        }
        Check::Email => {
            let address = whole.as_str();
            let top_level = address.rsplit('.').next().unwrap_or("");
            const FILE_EXTENSIONS: [&str; 16] = [
                "png", "jpg", "jpeg", "gif", "svg", "js", "css", "java", "py", "go", "rs", "jar",
                "class", "log", "txt", "html",
            ];
            if FILE_EXTENSIONS
                .iter()
                .any(|extension| top_level.eq_ignore_ascii_case(extension))
            {
                return None;
            }
            // `git@github.com:org/repo.git` is an SSH remote, not a person's address.
            if text.as_bytes().get(whole.end()) == Some(&b':') {
                return None;
            }
            // `ftp://anonymous@ftp.example.org`: a URL's user name.
            if text[..whole.start()].ends_with("://") {
                return None;
            }
            if is_package_at_version(address) {
                return None;
            }
            Some((whole.start(), whole.end(), RedactionKind::Email))
        }
        // Handled in `find`: one run of digit groups may hold several card numbers.
        Check::CreditCard => card_numbers(text, whole.start(), whole.end())
            .first()
            .map(|&(start, end)| (start, end, RedactionKind::CreditCard)),
        Check::Ipv4 => {
            let bytes = text.as_bytes();
            let before = whole.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(whole.end()).copied();
            let after_next = bytes.get(whole.end() + 1).copied();
            // 1.2.3.4.5 is a version, not an address.
            if before == Some(b'.')
                || (after == Some(b'.') && after_next.is_some_and(|b| b.is_ascii_digit()))
            {
                return None;
            }
            Some((whole.start(), whole.end(), RedactionKind::IpAddress))
        }
        Check::Hostname => hostnames::is_hostname(text, whole.start(), whole.end()).then_some((
            whole.start(),
            whole.end(),
            RedactionKind::Hostname,
        )),
        Check::Ipv6 => {
            let candidate = whole.as_str();
            let bytes = text.as_bytes();
            let before = whole.start().checked_sub(1).map(|i| bytes[i]);
            if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b':') {
                return None;
            }
            let colons = candidate.bytes().filter(|&b| b == b':').count();
            (colons >= 2 && candidate.parse::<std::net::Ipv6Addr>().is_ok()).then_some((
                whole.start(),
                whole.end(),
                RedactionKind::IpAddress,
            ))
        }
    }
}

/// The card numbers in the run of digit groups `text[run_start..run_end]` (groups of digits
/// joined by single spaces or dashes). The whole run when it is one; else, from the left,
/// the longest runs of whole groups that are: `4111 1111 1111 1111 200` is a card and an
/// amount, `ref 1234 4111111111111111` an id and a card. A dash binds its groups into one
/// token (`4111111111111111-000` is an id), so only spaces end a card inside a run.
fn card_numbers(text: &str, run_start: usize, run_end: usize) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    // (start, end) of each digit group, and whether a space (not a dash) precedes it.
    let mut groups: Vec<(usize, usize, bool)> = Vec::new();
    let mut position = run_start;
    while position < run_end {
        let spaced = position > run_start && bytes[position - 1] == b' ';
        let start = position;
        while position < run_end && bytes[position].is_ascii_digit() {
            position += 1;
        }
        groups.push((start, position, spaced));
        position += 1; // the separator
    }
    let mut cards = Vec::new();
    let mut first = 0;
    while first < groups.len() {
        if first > 0 && !groups[first].2 {
            first += 1;
            continue;
        }
        let card = (first..groups.len()).rev().find(|&last| {
            (last + 1 == groups.len() || groups[last + 1].2)
                && is_card_span(bytes, &groups[first..=last])
        });
        match card {
            Some(last) => {
                cards.push((groups[first].0, groups[last].1));
                first = last + 1;
            }
            None => first += 1,
        }
    }
    cards
}

/// Whether the digit groups (consecutive, from one run) are a card number standing on its
/// own: not glued to a word, path or version around it, written in groups of four or more
/// (4-4-4-4, 4-6-5; the last may be shorter), and a valid number of a card network.
fn is_card_span(bytes: &[u8], groups: &[(usize, usize, bool)]) -> bool {
    let (Some(&(start, _, _)), Some(&(_, end, _))) = (groups.first(), groups.last()) else {
        return false;
    };
    let before = start.checked_sub(1).map(|i| bytes[i]);
    if before
        .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/' | b'+'))
    {
        return false;
    }
    let after = bytes.get(end).copied();
    let after_next = bytes.get(end + 1).copied();
    if after.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        || (matches!(after, Some(b'.' | b'-' | b':' | b'/'))
            && after_next.is_some_and(|b| b.is_ascii_alphanumeric()))
    {
        return false;
    }
    if groups[..groups.len() - 1]
        .iter()
        .any(|&(group_start, group_end, _)| group_end - group_start < 4)
    {
        return false;
    }
    let digits: Vec<u8> = groups
        .iter()
        .flat_map(|&(group_start, group_end, _)| &bytes[group_start..group_end])
        .map(|b| b - b'0')
        .collect();
    is_card_number(&digits)
}

/// Luhn checksum plus the length and issuer prefixes real card networks use; random 16-digit
/// ids pass Luhn one time in ten, so the prefix check matters.
fn is_card_number(digits: &[u8]) -> bool {
    let length = digits.len();
    if !(13..=19).contains(&length) {
        return false;
    }
    let prefix = |count: usize| -> u32 {
        digits[..count]
            .iter()
            .fold(0u32, |value, &digit| value * 10 + u32::from(digit))
    };
    let issuer_ok = match digits[0] {
        4 => matches!(length, 13 | 16 | 19), // Visa
        5 => (51..=55).contains(&prefix(2)) && length == 16 || prefix(2) == 50, // Mastercard, Maestro
        2 => (2221..=2720).contains(&prefix(4)) && length == 16, // Mastercard 2-series
        3 => {
            let two = prefix(2);
            (matches!(two, 34 | 37) && length == 15)                   // Amex
                || ((300..=305).contains(&prefix(3)) || matches!(two, 36 | 38 | 39)) && length >= 14 // Diners
                || (3528..=3589).contains(&prefix(4)) && length >= 16 // JCB
        }
        6 => length >= 16, // Discover, UnionPay, Maestro
        _ => false,
    };
    issuer_ok && luhn(digits)
}

fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (index, &digit) in digits.iter().rev().enumerate() {
        let mut value = u32::from(digit);
        if index % 2 == 1 {
            value *= 2;
            if value > 9 {
                value -= 9;
            }
        }
        sum += value;
    }
    sum.is_multiple_of(10)
}

/// Words that, inside a key name, say the value is about a secret rather than the secret
/// (`token_type`, `password_length`, `secretName`).
const NON_SECRET_KEY_WORDS: [&str; 45] = [
    "name",
    "names",
    "ref",
    "file",
    "path",
    "type",
    "expiry",
    "expires",
    "expiration",
    "ttl",
    "length",
    "len",
    "count",
    "size",
    "limit",
    "policy",
    "hint",
    "reset",
    "enabled",
    "required",
    "min",
    "max",
    "prompt",
    "tokens",
    "id",
    "url",
    "uri",
    "endpoint",
    "changed",
    "updated",
    "created",
    "at",
    "age",
    "rotation",
    "strength",
    "format",
    "mode",
    "version",
    "field",
    "header",
    "arn",
    "manager",
    "stdin",
    "env",
    "command",
];

/// Splits a key into lowercase words at `_ . -` and camelCase humps.
fn key_words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for character in key.chars() {
        if matches!(character, '_' | '.' | '-' | ' ' | '"' | '\'') {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if character.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = character.is_ascii_lowercase() || character.is_ascii_digit();
        current.push(character.to_ascii_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// What a key name says its value is, or `None` when it is not a secret.
pub(crate) fn classify_secret_key(key: &str) -> Option<RedactionKind> {
    let words = key_words(key);
    if words.is_empty()
        || words
            .iter()
            .any(|word| NON_SECRET_KEY_WORDS.contains(&word.as_str()))
    {
        return None;
    }
    let joined = words.concat();
    let has = |needle: &str| joined.contains(needle);
    let has_word = |needle: &str| words.iter().any(|word| word == needle);
    if has("password") || has("passwd") || has("passphrase") {
        return Some(RedactionKind::Password);
    }
    // `pwd` alone is the shell's working directory; `db_pwd` is a password.
    if (has_word("pwd") && words.len() > 1) || has_word("pass") {
        return Some(RedactionKind::Password);
    }
    if has("apikey") || has("accesskey") || has("accountkey") {
        return Some(RedactionKind::ApiKey);
    }
    if has("privatekey") {
        return Some(RedactionKind::PrivateKey);
    }
    if has("secret") || has("credential") {
        return Some(RedactionKind::Secret);
    }
    if words
        .iter()
        .any(|word| word == "token" || (word.ends_with("token") && !word.ends_with("tokens")))
    {
        return Some(RedactionKind::Token);
    }
    None
}

/// Values that are empty, booleans or already masked: nothing to hide, and redacting them
/// would only confuse readers.
fn is_non_secret_value(value: &str) -> bool {
    let value = value.trim();
    if value.is_empty() || value.len() > 4096 {
        return true;
    }
    let lower = value.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null"
            | "none"
            | "nil"
            | "true"
            | "false"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "redacted"
            | "[redacted]"
            | "[filtered]"
            | "(redacted)"
            | "hidden"
            | "masked"
            | "undefined"
            | "n/a"
            | "-"
            | "xxx"
            | "xxxx"
            | "<redacted>"
            | "***"
    ) {
        return true;
    }
    value.starts_with("<REDACTED")
        || value
            .bytes()
            .all(|b| b == b'*' || b == b'x' || b == b'X' || b == b'#')
        || (value.starts_with("${") && value.ends_with('}'))
        || (value.starts_with("{{") && value.ends_with("}}"))
        || (value.starts_with('<') && value.ends_with('>'))
        || value == "%s"
}

/// `!vault`, `!Ref`, `!Sub`: a YAML tag in place of a value.
fn is_yaml_tag(value: &str) -> bool {
    value.len() > 1 && value.starts_with('!') && value[1..].bytes().all(|b| b.is_ascii_alphabetic())
}

/// An `Authorization` scheme name.
fn is_auth_scheme(value: &str) -> bool {
    [
        "bearer",
        "basic",
        "digest",
        "token",
        "negotiate",
        "apikey",
        "ntlm",
        "hoba",
    ]
    .iter()
    .any(|scheme| value.eq_ignore_ascii_case(scheme))
}

/// `model@v1.2.safetensors`, `pkg@1.2.3`: a name pinned to a version, not an address. Mail
/// domains may start with digits (`163.com`), but not with two version numbers.
fn is_package_at_version(address: &str) -> bool {
    let Some((_, domain)) = address.split_once('@') else {
        return false;
    };
    let mut labels = domain.split('.');
    let first = labels.next().unwrap_or("");
    let second = labels.next().unwrap_or("");
    let number = |label: &str| !label.is_empty() && label.bytes().all(|b| b.is_ascii_digit());
    let first = first.strip_prefix(['v', 'V']).unwrap_or(first);
    number(first) && number(second)
}

/// A common English word that follows `password:` in prose (`password: is required`).
fn is_prose_word(value: &str) -> bool {
    const WORDS: [&str; 40] = [
        "is",
        "it",
        "the",
        "a",
        "an",
        "for",
        "of",
        "to",
        "not",
        "incorrect",
        "invalid",
        "expired",
        "required",
        "missing",
        "failed",
        "wrong",
        "mismatch",
        "changed",
        "reset",
        "ok",
        "set",
        "unset",
        "empty",
        "provided",
        "supplied",
        "accepted",
        "rejected",
        "too",
        "must",
        "should",
        "was",
        "has",
        "user",
        "please",
        "enter",
        "your",
        "updated",
        "ignored",
        "authentication",
        "verification",
    ];
    WORDS.iter().any(|word| value.eq_ignore_ascii_case(word))
}

/// `android.os.BinderProxy@2bd79ce`: a Java object's default `toString`, not a credential.
fn is_object_reference(value: &str) -> bool {
    value.split_once('@').is_some_and(|(class, hash)| {
        !hash.is_empty()
            && hash.len() <= 16
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
            && class.contains('.')
            && class
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'$' | b'_'))
    })
}

/// A bare `Bearer x`/`Basic x` credential must look like one: not all lowercase letters
/// (`Basic authentication`), with a digit, a padding `=`, or mixed case.
fn looks_like_credential(value: &str) -> bool {
    if value.len() < 12 {
        return false;
    }
    let digits = value.bytes().any(|b| b.is_ascii_digit());
    let upper = value.bytes().any(|b| b.is_ascii_uppercase());
    let lower = value.bytes().any(|b| b.is_ascii_lowercase());
    digits || value.ends_with('=') || (upper && lower)
}

mod detectors;
mod hostnames;
#[cfg(test)]
mod tests;
