//! Classes of values: what in a token core is a number, an id, an address, a path, a URL
//! or a dotted host name, and the masked form of the core.

use super::{MaskingRules, WILDCARD};

/// What masking made of a token core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Class {
    /// A constant word: kept as it is.
    Literal,
    /// Entirely variable: becomes `<*>`.
    Variable,
    /// A word with variable parts: the masked form was written to the buffer.
    Masked,
}

/// Bytes that split a token into fields, each classified on its own: `ip:port` is two
/// variables, `key(value)` keeps its brackets. `.`, `_`, `-` and `+` do not split: they join
/// the parts of one identifier (`10.0.0.1`, `rdd_42_7`, `mesos-slave-07`), which is one
/// variable.
#[inline(always)]
fn is_field_delimiter(byte: u8) -> bool {
    matches!(
        byte,
        b':' | b','
            | b'='
            | b'@'
            | b'#'
            | b'('
            | b')'
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b';'
            | b'|'
            | b'\''
            | b'"'
            | b'<'
            | b'>'
            | b'/'
            | b'\\'
            | b'$'
            | b'&'
            | b'!'
            | b'?'
            | b'*'
            | b'%'
    )
}

/// Classifies a token core and writes its masked form to `masked`.
///
/// The convention follows the corrected Loghub annotations (Khan et al., ICSE'22; Loghub-2.0),
/// which is also what a reader expects: a variable replaces a whole identifier, not the
/// digits inside it (`blk_-42` and `job_1445_0020` are `<*>`, not `blk_-<*>`), delimiters
/// between variables stay (`<*>:<*>` for an address and port), absolute paths and URLs after
/// their scheme are variables, and a word that merely carries a digit in its name
/// (`eth1`, `jk2_init`, `Slf4jLogger`) stays a word: the miner turns it into `<*>` only if it
/// varies between messages of one template.
pub(super) fn classify(core: &str, rules: MaskingRules, masked: &mut String) -> Class {
    masked.clear();
    if core.is_empty() {
        return Class::Literal;
    }
    if core == WILDCARD {
        return Class::Variable;
    }
    let bytes = core.as_bytes();
    let mut changed = false;
    let mut position = 0;
    if is_colon_hex_address(core) {
        return Class::Variable;
    }
    if let Some(scheme_end) = url_scheme_end(core) {
        // `hdfs://namenode:8020/a/b`: the scheme is a constant, the rest one variable.
        masked.push_str(&core[..scheme_end]);
        masked.push_str(WILDCARD);
        return Class::Masked;
    }
    while position < bytes.len() {
        let byte = bytes[position];
        let after_delimiter = position == 0 || is_field_delimiter(bytes[position - 1]);
        if byte == b'/' && after_delimiter && starts_path(&bytes[position..]) {
            // An absolute path (`/var/log/app.log`, `(/p/gb1/x)`, `/10.0.0.1:50010`) up to
            // the next delimiter other than `/`: file names, mounts and addresses vary.
            position += 1;
            while position < bytes.len()
                && (bytes[position] == b'/' || !is_field_delimiter(bytes[position]))
            {
                position += 1;
            }
            masked.push_str(WILDCARD);
            changed = true;
            continue;
        }
        if is_field_delimiter(byte) || (byte == b'.' && bytes.get(position + 1) == Some(&b'.')) {
            // A run of dots (`processor.......0`) is layout, not part of a name.
            while position < bytes.len() && bytes[position] == b'.' && byte == b'.' {
                masked.push('.');
                position += 1;
            }
            if byte != b'.' {
                masked.push(char::from(byte));
                position += 1;
            }
            continue;
        }
        let start = position;
        while position < bytes.len()
            && !is_field_delimiter(bytes[position])
            && !(bytes[position] == b'.' && bytes.get(position + 1) == Some(&b'.'))
        {
            position += 1;
        }
        let field = &core[start..position];
        if is_variable_field(field, rules) {
            push_variable_field(field, masked);
            changed = true;
        } else {
            masked.push_str(field);
        }
    }
    // A byte test first: a substring search costs more than most tokens are long.
    let holds_wildcard = core.as_bytes().contains(&b'<') && core.contains(WILDCARD);
    if !changed && !holds_wildcard {
        Class::Literal
    } else if masked == WILDCARD {
        Class::Variable
    } else {
        Class::Masked
    }
}

/// True when `bytes` (starting with `/`) is a path: a name follows the slash.
fn starts_path(bytes: &[u8]) -> bool {
    bytes
        .get(1)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'~'))
}

/// Writes the masked form of a variable field: `<*>`, except that a date or a range of
/// plain numbers keeps its dashes (`2017-07-01` is `<*>-<*>-<*>`, as time is `<*>:<*>:<*>`).
fn push_variable_field(field: &str, masked: &mut String) {
    if let Some(name_end) = numbered_name_split(field) {
        masked.push_str(&field[..name_end]);
        masked.push_str(WILDCARD);
        return;
    }
    let numeric_dashes = field.contains('-')
        && field
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if numeric_dashes {
        for (index, _) in field.split('-').enumerate() {
            if index > 0 {
                masked.push('-');
            }
            masked.push_str(WILDCARD);
        }
    } else {
        masked.push_str(WILDCARD);
    }
}

/// Where the number of a numbered name starts: one word of letters, then `.` or `-`, then a
/// number or version (`core.2275`, `node-12`, `jetty-6.1.26`, `UTF-8`,
/// `BP-1088-10.1.1.1-14`). The word is what the thing is, the number which one, so only the
/// number is a value (`node-<*>`), as a reader and the corrected Loghub annotations write
/// it. Names of several words (`msra-sa-41`, `mesos-slave-07`: host names) and names joined
/// by `_` (`blk_-42`, `job_1445_0020`, `rdd_42_7`: identifiers built by code) stay one value.
fn numbered_name_split(field: &str) -> Option<usize> {
    let bytes = field.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let separator = bytes
        .windows(2)
        .position(|pair| matches!(pair[0], b'.' | b'-') && pair[1].is_ascii_digit())?;
    let name_ok = bytes[..separator].iter().all(u8::is_ascii_alphabetic);
    let number_ok = bytes[separator + 1..]
        .iter()
        .all(|&b| b.is_ascii_digit() || matches!(b, b'.' | b'-'));
    (name_ok && number_ok).then_some(separator + 1)
}

/// A MAC or IPv6 address (`00:11:43:e3:ba:c3`, `fe80::1c2:3ff:fe4a:5b6c`): groups of one to
/// four hex digits joined by `:`, at least four of them, with a hex letter or at least six
/// groups (so a time such as `12:01:02` keeps its shape `<*>:<*>:<*>`). One address is one
/// value, written `<*>`.
fn is_colon_hex_address(core: &str) -> bool {
    // Cheap byte tests first: this runs on every new token. The first group (at most four
    // hex digits, or none in `::1`) must end in a colon, and seven bytes is the shortest
    // address with four groups.
    let bytes = core.as_bytes();
    let first_colon = bytes.iter().take(5).position(|&b| !b.is_ascii_hexdigit());
    if bytes.len() < 7 || first_colon.is_none_or(|at| bytes[at] != b':') {
        return false;
    }
    let mut groups = 0;
    let mut letters = false;
    for group in core.split(':') {
        if group.len() > 4 || !group.bytes().all(|b| b.is_ascii_hexdigit()) {
            return false;
        }
        letters |= group.bytes().any(|b| b.is_ascii_alphabetic());
        groups += 1;
    }
    let nonempty = core.split(':').filter(|group| !group.is_empty()).count();
    nonempty >= 2 && groups >= 4 && (letters || groups >= 6)
}

/// End of `scheme://` when `core` is a URL (`https://`, `hdfs://`, `spark://`).
fn url_scheme_end(core: &str) -> Option<usize> {
    // Cheap byte tests first: this runs on every token.
    let separator = core.bytes().position(|b| b == b':')?;
    // A `://` after a later colon would leave a colon in the scheme, which is invalid.
    if !core[separator..].starts_with("://") {
        return None;
    }
    let scheme = &core[..separator];
    let valid = !scheme.is_empty()
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    (valid && core.len() > separator + 3).then_some(separator + 3)
}

/// True when one field (no delimiters inside) is a value rather than a word: a number (with
/// or without a unit: `42`, `-7`, `0.25`, `100ms`, `64K`), a hex number or hash, an
/// identifier with a numeric part (`rdd_42_7`, `blk_-42`, `10.0.0.1`, `v1.2.3`), or a
/// dotted host name.
fn is_variable_field(field: &str, rules: MaskingRules) -> bool {
    let bytes = field.as_bytes();
    if !bytes.iter().any(u8::is_ascii_digit) {
        return is_value_word(field) || (rules.dotted_names && is_dotted_name(field));
    }
    let unsigned = field.trim_start_matches(['-', '+']);
    if unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return true;
    }
    if is_hex_number(field) || is_dashed_hex(field) {
        return true;
    }
    // Parts joined by `_`, `-`, `.`, `+`: any purely numeric part makes an identifier.
    let numeric_part = field
        .split(['_', '-', '.', '+'])
        .any(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    numeric_part || (rules.dotted_names && is_dotted_name(field))
}

/// Words that are values wherever they appear. Empty on purpose: booleans and account names
/// (`true`, `root`) are values in the corrected Loghub annotations (Khan et al.'s "BL"/"US"
/// rules), but masking them up front merges events the original ground truth keeps apart
/// (`allDrawn= true` vs `false`, `user=root` vs `user=<*>`): measured on loghub-2k it cost
/// 0.10 GA on Android and 0.12 on Linux for +0.2 PA. The miner turns them into `<*>` when
/// they vary within one event.
fn is_value_word(field: &str) -> bool {
    const WORDS: [&str; 0] = [];
    WORDS.iter().any(|word| word.eq_ignore_ascii_case(field))
}

/// `0x1f`, or a run of hex digits long enough to be a hash or address rather than a word
/// (`9f4ef63`, `a64f992`; not `e820`, `add1`).
fn is_hex_number(run: &str) -> bool {
    if let Some(digits) = run.strip_prefix("0x").or_else(|| run.strip_prefix("0X")) {
        return !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_hexdigit());
    }
    run.len() >= 6
        && run.bytes().all(|b| b.is_ascii_hexdigit())
        && run.bytes().any(|b| b.is_ascii_digit())
        && run.bytes().any(|b| b.is_ascii_alphabetic())
}

/// A UUID or another long id of dash-separated hex runs (`96abccce-8d1f-4e07-b6d1-...`),
/// whether or not one of its runs happens to be all digits.
fn is_dashed_hex(field: &str) -> bool {
    field.len() >= 16
        && field.contains('-')
        && field.bytes().any(|b| b.is_ascii_digit())
        && field
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// `host.example.com`: two or more dots between non-empty word segments. A name whose last
/// segment is capitalised (`java.io.IOException`, `org.apache.Foo`) is a class name, a
/// constant of the code, not a value.
fn is_dotted_name(core: &str) -> bool {
    // Most words have no dot at all: decide that without splitting.
    if core.bytes().filter(|&b| b == b'.').nth(1).is_none() {
        return false;
    }
    let mut segments = 0;
    let mut last = "";
    for segment in core.split('.') {
        if segment.is_empty()
            || !segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return false;
        }
        segments += 1;
        last = segment;
    }
    // Capitalised last segments name classes and constants (`java.io.IOException`,
    // `android.intent.action.SCREEN_ON`): code, not values.
    let class_name = last.as_bytes()[0].is_ascii_uppercase();
    segments >= 3 && !class_name
}
