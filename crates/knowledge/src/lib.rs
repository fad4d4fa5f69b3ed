//! Runbooks and past cases, with keyword and vector retrieval.
