//! Host names: telling the dotted names that are hosts (`db-01.prod.internal`,
//! `ip-10-0-1-5.ec2.internal`, `api.example.com`) from those that only look dotted (`app.log`,
//! `com.example.Foo`, `1.2.3`, `.env.local`).

/// The candidate pattern: two or more dot-separated labels of letters, digits and dashes. The
/// checks in [`is_hostname`] decide; the pattern only finds the extent.
pub(super) const HOSTNAME_PATTERN: &str =
    r"\b[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9][A-Za-z0-9-]*)+";

/// Last labels that end host names in logs: common generic and country domains, and the
/// suffixes private networks, clusters and service meshes use. Left out on purpose: endings
/// that are also file extensions or code (`py`, `sh`, `md`, `rs`, `pl`, `so`, `zip`, `mov`,
/// `app`, `name`, `info`, `in`), so `setup.py` or `logger.info` is never a host.
const HOST_SUFFIXES: &[&str] = &[
    "ai",
    "arpa",
    "au",
    "br",
    "ca",
    "ch",
    "cloud",
    "cn",
    "co",
    "com",
    "consul",
    "corp",
    "de",
    "dev",
    "edu",
    "es",
    "eu",
    "example",
    "fr",
    "gov",
    "home",
    "ie",
    "int",
    "internal",
    "intranet",
    "invalid",
    "io",
    "it",
    "jp",
    "kr",
    "lan",
    "local",
    "localdomain",
    "localhost",
    "mil",
    "net",
    "nl",
    "org",
    "private",
    "ru",
    "se",
    "sg",
    "svc",
    "test",
    "uk",
    "us",
];

/// First labels of reverse-domain names (Java, Kotlin and Android packages), which are never
/// hosts: `com.example.billing`, `java.net`, `org.apache.kafka`.
const PACKAGE_ROOTS: &[&str] = &[
    "android", "androidx", "com", "io", "java", "javax", "jdk", "kotlin", "kotlinx", "net", "org",
    "scala", "sun",
];

/// Longest label and name DNS allows.
const MAX_LABEL: usize = 63;
const MAX_NAME: usize = 253;

/// True when `text[start..end]`, a match of [`HOSTNAME_PATTERN`], is a host name.
pub(super) fn is_hostname(text: &str, start: usize, end: usize) -> bool {
    let name = &text[start..end];
    if name.len() > MAX_NAME
        || name
            .split('.')
            .any(|label| label.len() > MAX_LABEL || label.ends_with('-'))
    {
        return false;
    }
    let bytes = text.as_bytes();
    // `my.host.com_backup`: part of an identifier.
    if bytes.get(end) == Some(&b'_') {
        return false;
    }
    let last = name.rsplit('.').next().unwrap_or("");
    // The authority of a URL (`redis://cache.shop:6379`, `postgres://user:pw@db.shop/x`) is a
    // host whatever its suffix: Kubernetes short names (`mysql-0.mysql`) end in a service name.
    if is_url_authority(text, start) {
        return last.bytes().any(|b| b.is_ascii_alphabetic());
    }
    // `.env.local`, `config.dev.local`: the tail of a longer dotted word (a file name); but
    // `*.example.com` is a wildcard certificate name.
    let before = start.checked_sub(1).map(|index| bytes[index]);
    let wildcard = before == Some(b'.') && start >= 2 && bytes[start - 2] == b'*';
    if matches!(before, Some(b'.' | b'$' | b'%' | b'{')) && !wildcard {
        return false;
    }
    // `request.app(`: a call, not a host.
    if bytes.get(end) == Some(&b'(') {
        return false;
    }
    let first = name.split('.').next().unwrap_or("");
    if PACKAGE_ROOTS
        .iter()
        .any(|root| first.eq_ignore_ascii_case(root))
        || !HOST_SUFFIXES
            .iter()
            .any(|suffix| last.eq_ignore_ascii_case(suffix))
    {
        return false;
    }
    // Hosts are written in one case; `Amazon.com` or `System.Net` is prose or code.
    let has_lower = name.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = name.bytes().any(|b| b.is_ascii_uppercase());
    !(has_lower && has_upper)
}

/// True when `start` begins the host part of a URL: right after `scheme://`, or after the
/// `user:password@` that follows it.
fn is_url_authority(text: &str, start: usize) -> bool {
    let head = &text[..start];
    if head.ends_with("://") {
        return true;
    }
    let Some(userinfo) = head.strip_suffix('@') else {
        return false;
    };
    userinfo.rfind("://").is_some_and(|scheme_end| {
        !userinfo[scheme_end + 3..]
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b == b'/' || b == b'@')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts_in(text: &str) -> Vec<&str> {
        let pattern = regex::Regex::new(HOSTNAME_PATTERN).unwrap();
        pattern
            .find_iter(text)
            .filter(|found| is_hostname(text, found.start(), found.end()))
            .map(|found| found.as_str())
            .collect()
    }

    #[test]
    fn hosts_are_found() {
        for host in [
            "db-01.prod.internal",
            "ip-10-0-1-5.ec2.internal",
            "api.example.com",
            "payments.default.svc.cluster.local",
            "redis.service.consul",
            "API.EXAMPLE.COM",
            "example.org",
        ] {
            assert_eq!(hosts_in(&format!("connect to {host}:5432 failed")), [host]);
        }
        assert_eq!(
            hosts_in("GET https://auth.example.io/v1/token from web-3.eu-west-1.compute.internal"),
            ["auth.example.io", "web-3.eu-west-1.compute.internal"]
        );
        assert_eq!(
            hosts_in("redis://default:pw@redis-master.cache:6379 and mysql://mysql-0.mysql/db"),
            ["redis-master.cache", "mysql-0.mysql"]
        );
        assert_eq!(hosts_in("valid for *.example.com"), ["example.com"]);
    }

    #[test]
    fn dotted_words_that_are_not_hosts() {
        for text in [
            "wrote app.log and config.yaml",
            "at com.example.Foo.bar(Foo.java:12)",
            "org.apache.kafka.clients.NetworkClient disconnected",
            "import java.net and javax.net",
            "version 1.2.3 and v2.0.1 build 10.0.4.12",
            "took 3.14 s",
            "loaded .env.local and .env.test",
            "file:///etc/app/config.local.yaml and backup.example.com_old",
            "logger.info(msg) and request.app(x)",
            "Amazon.com and System.Net.Http",
            "run setup.py, deploy.sh and README.md",
        ] {
            assert_eq!(hosts_in(text), Vec::<&str>::new(), "{text}");
        }
    }
}
