//! Fuzz target: the configuration parsers (YAML and Kubernetes manifests, TOML, INI, .env, JSON
//! documents, Dockerfile, nginx). The first byte declares which parser reads the rest (no
//! sniffing), so each one meets inputs its sniffer would turn away.
#![no_main]

use faultmaven_ingest::Format;
use libfuzzer_sys::fuzz_target;

const FORMATS: &[Format] = &[
    Format::KubernetesYaml,
    Format::Yaml,
    Format::Toml,
    Format::Ini,
    Format::DotEnv,
    Format::JsonDocument,
    Format::Dockerfile,
    Format::NginxConf,
];

fuzz_target!(|data: &[u8]| {
    faultmaven_fuzz::drive_declared(FORMATS, data);
});
