//! Unit tests of the configuration parsers: paths, lines, labels, limits, hostile input.

use super::*;
use proptest::prelude::*;

const LIMITS: ConfigLimits = ConfigLimits {
    max_depth: 64,
    max_entries: 10_000,
};

fn flat(syntax: ConfigSyntax, text: &str) -> Vec<(Option<u64>, String, String)> {
    parse_config(syntax, text, &LIMITS)
        .documents
        .into_iter()
        .flat_map(|document| document.items)
        .map(|item| (item.line, item.path, item.value))
        .collect()
}

fn item(line: u64, path: &str, value: &str) -> (Option<u64>, String, String) {
    (Some(line), path.to_owned(), value.to_owned())
}

#[test]
fn yaml_paths_lines_and_kubernetes_labels() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: checkout\n  namespace: prod\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: shop/checkout:latest\n          resources:\n            limits:\n              memory: 512Mi\n          args: []\n---\nkind: Service\napiVersion: v1\nmetadata: {name: checkout}\n";
    let parsed = parse_config(ConfigSyntax::Yaml, text, &LIMITS);
    assert_eq!(parsed.issues, vec![]);
    assert_eq!(parsed.documents.len(), 2);
    assert_eq!(
        parsed.documents[0].label.as_deref(),
        Some("Deployment prod/checkout")
    );
    assert_eq!(
        parsed.documents[1].label.as_deref(),
        Some("Service default/checkout")
    );
    let items = &parsed.documents[0].items;
    let memory = items
        .iter()
        .find(|item| item.path == "spec.template.spec.containers[0].resources.limits.memory")
        .expect("memory limit");
    assert_eq!((memory.line, memory.value.as_str()), (Some(14), "512Mi"));
    assert!(items
        .iter()
        .any(|item| item.path == "spec.template.spec.containers[0].args" && item.value == "[]"));
}

#[test]
fn yaml_aliases_are_not_expanded_and_errors_become_issues() {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
    assert_eq!(flat(ConfigSyntax::Yaml, bomb).len(), 27);
    let broken = parse_config(ConfigSyntax::Yaml, "a: 1\nb: [unclosed\nc: 2\n", &LIMITS);
    assert_eq!(broken.issues.len(), 1);
    assert!(
        broken.issues[0].1.starts_with("invalid yaml"),
        "{:?}",
        broken.issues
    );
}

#[test]
fn deep_nesting_is_cut_with_one_issue() {
    let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
    for syntax in [ConfigSyntax::Yaml, ConfigSyntax::Json] {
        let parsed = parse_config(syntax, &deep, &LIMITS);
        assert_eq!(parsed.issues.len(), 1, "{syntax:?}: {:?}", parsed.issues);
        assert_eq!(parsed.item_count(), 0);
    }
    let toml_deep = format!("a = {}1{}\n", "[".repeat(70), "]".repeat(70));
    let parsed = parse_config(ConfigSyntax::Toml, &toml_deep, &LIMITS);
    assert_eq!(parsed.issues.len(), 1, "{:?}", parsed.issues);
}

#[test]
fn entry_cap_stops_with_one_issue() {
    let limits = ConfigLimits {
        max_depth: 8,
        max_entries: 3,
    };
    let text = "A=1\nB=2\nC=3\nD=4\nE=5\n";
    let parsed = parse_config(ConfigSyntax::DotEnv, text, &limits);
    assert_eq!(parsed.item_count(), 3);
    assert_eq!(parsed.issues.len(), 1);
}

#[test]
fn toml_keys_have_lines() {
    let text = "title = \"x\"\n[database]\nurl = \"postgres://db\"\nports = [5432, 5433]\n\n[[servers]]\nname = \"alpha\"\n[[servers]]\nname = \"beta\"\ninline = { a = 1 }\n";
    assert_eq!(
        flat(ConfigSyntax::Toml, text),
        vec![
            item(1, "title", "x"),
            item(3, "database.url", "postgres://db"),
            item(4, "database.ports[0]", "5432"),
            item(4, "database.ports[1]", "5433"),
            item(7, "servers[0].name", "alpha"),
            item(9, "servers[1].name", "beta"),
            item(10, "servers[1].inline.a", "1"),
        ]
    );
    let broken = parse_config(ConfigSyntax::Toml, "a = 1\nb = \n", &LIMITS);
    assert_eq!(broken.issues[0].0, Some(2));
}

#[test]
fn json_documents_flatten_without_lines() {
    let items = flat(
        ConfigSyntax::Json,
        r#"{"server": {"port": 8080, "tls": true, "hosts": ["a", "b"], "empty": {}}}"#,
    );
    assert_eq!(
        items,
        vec![
            (None, "server.empty".into(), "{}".into()),
            (None, "server.hosts[0]".into(), "a".into()),
            (None, "server.hosts[1]".into(), "b".into()),
            (None, "server.port".into(), "8080".into()),
            (None, "server.tls".into(), "true".into()),
        ]
    );
}

#[test]
fn ini_sections_comments_and_continuations() {
    let text = "; comment\n[server]\nport = 8080 ; inline\nhost: \"db.local\"\n[remote \"origin\"]\nurl = git@x\nmotd = first\n  second\ngarbage line\n";
    assert_eq!(
        flat(ConfigSyntax::Ini, text),
        vec![
            item(3, "server.port", "8080"),
            item(4, "server.host", "db.local"),
            item(6, "remote.origin.url", "git@x"),
            item(7, "remote.origin.motd", "first second"),
        ]
    );
    assert_eq!(
        parse_config(ConfigSyntax::Ini, text, &LIMITS).issues.len(),
        1
    );
}

#[test]
fn dotenv_quotes_exports_and_comments() {
    let text = "# comment\nexport DB_HOST=db.internal\nGREETING=\"hello\\nworld\"\nRAW='a $b'\nPORT=5432 # db port\nMULTI=\"line1\nline2\"\nnot valid\n";
    assert_eq!(
        flat(ConfigSyntax::DotEnv, text),
        vec![
            item(2, "DB_HOST", "db.internal"),
            item(3, "GREETING", "hello\nworld"),
            item(4, "RAW", "a $b"),
            item(5, "PORT", "5432"),
            item(6, "MULTI", "line1\nline2"),
        ]
    );
}

#[test]
fn dockerfile_stages_and_instructions() {
    let text = "# syntax=docker/dockerfile:1\nARG VERSION=1.2\nFROM --platform=linux/amd64 golang:1.22 AS build\nRUN go build \\\n    -o /app .\nFROM gcr.io/distroless/base\nENV GOGC=50 MODE=\"prod x\"\nCOPY --from=build /app /app\nEXPOSE 8080\nUSER nonroot\nCMD [\"/app\"]\n";
    assert_eq!(
        flat(ConfigSyntax::Dockerfile, text),
        vec![
            item(2, "args.VERSION", "1.2"),
            item(3, "stages[0].from", "golang:1.22"),
            item(3, "stages[0].name", "build"),
            item(4, "stages[0].run[0]", "go build -o /app ."),
            item(6, "stages[1].from", "gcr.io/distroless/base"),
            item(7, "stages[1].env.GOGC", "50"),
            item(7, "stages[1].env.MODE", "prod x"),
            item(8, "stages[1].copy[0]", "--from=build /app /app"),
            item(9, "stages[1].expose[0]", "8080"),
            item(10, "stages[1].user", "nonroot"),
            item(11, "stages[1].cmd", "[\"/app\"]"),
        ]
    );
}

#[test]
fn nginx_blocks_and_directives() {
    let text = "worker_processes auto;\nhttp {\n  server {\n    listen 80;\n    listen 443 ssl;\n    location /api {\n      proxy_pass http://backend; # upstream\n      set $x \"a;b\";\n    }\n  }\n}\n";
    assert_eq!(
        flat(ConfigSyntax::Nginx, text),
        vec![
            item(1, "worker_processes", "auto"),
            item(4, "http.server[0].listen", "80"),
            item(5, "http.server[0].listen[1]", "443 ssl"),
            item(
                7,
                "http.server[0].location[/api].proxy_pass",
                "http://backend"
            ),
            item(8, "http.server[0].location[/api].set", "$x a;b"),
        ]
    );
    let unbalanced = parse_config(ConfigSyntax::Nginx, "http {\n listen 80\n", &LIMITS);
    assert_eq!(unbalanced.issues.len(), 2, "{:?}", unbalanced.issues);
}

const SYNTAXES: [ConfigSyntax; 7] = [
    ConfigSyntax::Yaml,
    ConfigSyntax::Toml,
    ConfigSyntax::Json,
    ConfigSyntax::Ini,
    ConfigSyntax::DotEnv,
    ConfigSyntax::Dockerfile,
    ConfigSyntax::Nginx,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text: no panic, output bounded by the caps and by the input size.
    #[test]
    fn parsers_never_panic_and_stay_bounded(text in "[a-zA-Z0-9 :=\\[\\]{}\"'#;\\\\\n\t.,&*|>-]{0,400}") {
        let limits = ConfigLimits { max_depth: 6, max_entries: 50 };
        for syntax in SYNTAXES {
            let parsed = parse_config(syntax, &text, &limits);
            prop_assert!(parsed.item_count() <= 50);
            let value_bytes: usize = parsed.documents.iter().flat_map(|d| &d.items).map(|i| i.value.len()).sum();
            // Values come from the text (plus `{}`, `[]`, `null`, `*alias` markers).
            prop_assert!(value_bytes <= text.len() + 8 * parsed.item_count(), "{syntax:?}");
        }
    }

    /// Arbitrary bytes decoded lossily, as the line splitter would hand them over.
    #[test]
    fn parsers_survive_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let text = String::from_utf8_lossy(&bytes);
        for syntax in SYNTAXES {
            let _ = parse_config(syntax, &text, &LIMITS);
        }
    }
}
