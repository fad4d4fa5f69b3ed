//! Entity names: a service from a pod name (Kubernetes replica-set and pod hash suffixes,
//! StatefulSet ordinals stripped) and from a per-pod metrics file name
//! (`ts-order-service-7d9f_metric.csv` → pod `ts-order-service-7d9f`, service
//! `ts-order-service`).

/// Characters Kubernetes uses in generated name suffixes (no vowels, no confusable digits).
const POD_SUFFIX_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// True for a segment that looks generated: a pod suffix (5 characters of the suffix
/// alphabet), a replica-set hash (6 to 10 characters of it), or a hex-ish id of 4 or more
/// characters with a digit.
fn looks_generated(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    let suffix_alphabet = bytes.iter().all(|b| POD_SUFFIX_ALPHABET.contains(b));
    let lower_alnum = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    ((5..=10).contains(&bytes.len()) && suffix_alphabet && has_digit)
        || (bytes.len() >= 4
            && lower_alnum
            && has_digit
            && bytes.iter().filter(|b| b.is_ascii_digit()).count() * 4 >= bytes.len())
}

/// The service a pod (or container instance) name belongs to: up to two generated suffixes
/// and a StatefulSet ordinal are removed. Names without such suffixes are returned as given.
pub(crate) fn service_of(pod: &str) -> String {
    let mut name = pod.trim();
    // `<deployment>-<replica-set hash>-<pod suffix>` where the suffix happens to have no digit.
    if let Some((head, tail)) = name.rsplit_once('-') {
        let suffix_like = tail.len() == 5 && tail.bytes().all(|b| POD_SUFFIX_ALPHABET.contains(&b));
        let replica_set_hash = |hash: &str| {
            (6..=10).contains(&hash.len()) && hash.bytes().all(|b| POD_SUFFIX_ALPHABET.contains(&b))
        };
        if suffix_like {
            if let Some((deployment, hash)) = head.rsplit_once('-') {
                if !deployment.is_empty() && (replica_set_hash(hash) || looks_generated(hash)) {
                    return deployment.to_owned();
                }
            }
        }
    }
    for _ in 0..2 {
        match name.rsplit_once('-') {
            Some((head, tail)) if !head.is_empty() && looks_generated(tail) => name = head,
            _ => break,
        }
    }
    if let Some((head, tail)) = name.rsplit_once('-') {
        if !head.is_empty()
            && !tail.is_empty()
            && tail.len() <= 3
            && tail.bytes().all(|b| b.is_ascii_digit())
        {
            name = head;
        }
    }
    name.to_owned()
}

/// The pod a metrics file is about, from its name: directory and extension removed, then a
/// trailing `_metric`, `_metrics`, `-metrics`, `.metrics` word.
pub(crate) fn pod_of_file_name(file_name: &str) -> Option<String> {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let base = base.strip_suffix(".gz").unwrap_or(base);
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    let lower = stem.to_ascii_lowercase();
    let mut end = stem.len();
    for suffix in ["_metrics", "_metric", "-metrics", "-metric", ".metrics"] {
        if lower.ends_with(suffix) {
            end = stem.len() - suffix.len();
            break;
        }
    }
    let pod = stem[..end].trim();
    (!pod.is_empty()).then(|| pod.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_hashes_are_stripped() {
        assert_eq!(
            service_of("ts-order-service-7d9f8b6c5-x2kqp"),
            "ts-order-service"
        );
        assert_eq!(service_of("ts-order-service-7d9f"), "ts-order-service");
        assert_eq!(service_of("checkout-5c4d8f7b9-abc12"), "checkout");
        assert_eq!(service_of("mysql-0"), "mysql");
        assert_eq!(service_of("ts-order-service"), "ts-order-service");
        assert_eq!(service_of("payment-v2"), "payment-v2");
        assert_eq!(service_of("redis-cart"), "redis-cart");
        assert_eq!(service_of("cart-6d8f7c9b4-xkqpz"), "cart");
        assert_eq!(
            service_of("ts-payment-service-gtrsshvdql-xkqpz"),
            "ts-payment-service"
        );
    }

    #[test]
    fn metric_file_names_name_pods() {
        assert_eq!(
            pod_of_file_name("data/ts-order-service-7d9f_metric.csv").as_deref(),
            Some("ts-order-service-7d9f")
        );
        assert_eq!(pod_of_file_name("web-1.csv").as_deref(), Some("web-1"));
        assert_eq!(pod_of_file_name("_metric.csv"), None);
    }
}
