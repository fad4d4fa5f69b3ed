//! Log template mining, anomaly detectors and findings with evidence.
