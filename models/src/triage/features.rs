//! TF-IDF features of word unigrams and bigrams and of character n-grams
//! inside words (padded with a space each side, like scikit-learn's
//! `char_wb`), so typos ("shippinh", "recieve") still share most features.
//!
//! Features are 64-bit FNV-1a hashes of the n-grams; the vocabulary (the
//! hashes seen in at least `min_df` training documents) maps them to
//! columns. Numbers become one token (`0`): an order number says nothing
//! about intent. Weights are `ln(1 + count) · idf`; the word block and the
//! character block are each L2-normalised and scaled by 1/√2, so a vector
//! has norm 1 and words and characters count alike. The quoted history is
//! featurised apart, to a row of norm 1, and added at `quoted_weight` (fully
//! when the new text has fewer than three words, as in "FYI" above a
//! forward): however long the history, the new text leads.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

/// A sparse row: (column, value), columns ascending.
pub type SparseVec = Vec<(u32, f32)>;

/// How texts become features.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureConfig {
    /// Longest word n-gram (1 or 2).
    pub word_ngram_max: usize,
    /// Shortest character n-gram.
    pub char_ngram_min: usize,
    /// Longest character n-gram.
    pub char_ngram_max: usize,
    /// A feature is kept when it occurs in at least this many training documents.
    pub min_df: u32,
    /// At most this many features (the most frequent ones).
    pub max_features: usize,
    /// Weight of the quoted history relative to the new text.
    pub quoted_weight: f32,
}

impl Default for FeatureConfig {
    fn default() -> Self {
        FeatureConfig {
            word_ngram_max: 2,
            char_ngram_min: 2,
            char_ngram_max: 5,
            min_df: 2,
            max_features: 300_000,
            quoted_weight: 0.3,
        }
    }
}

/// A text to featurise: what the sender wrote (subject and new text) and the
/// quoted history.
#[derive(Debug, Clone, Copy, Default)]
pub struct Doc<'a> {
    /// Subject and new text.
    pub main: &'a str,
    /// Quoted and forwarded history.
    pub quoted: &'a str,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn fnv(seed: u64, bytes: &[u8]) -> u64 {
    let mut h = seed;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(FNV_PRIME);
    }
    h
}

const WORD: u8 = b'w';
const CHAR: u8 = b'c';

/// Lower-cased word tokens; a token with a digit becomes `0`.
fn tokens(text: &str, out: &mut Vec<String>) {
    for raw in text.split(|c: char| !c.is_alphanumeric()) {
        if raw.is_empty() {
            continue;
        }
        if raw.chars().any(|c| c.is_ascii_digit()) {
            out.push("0".to_string());
        } else {
            out.push(raw.to_lowercase());
        }
    }
}

/// Calls `f(block, hash)` for every feature of `text`.
fn each_feature(text: &str, cfg: &FeatureConfig, f: &mut dyn FnMut(u8, u64)) {
    let mut toks = Vec::new();
    tokens(text, &mut toks);
    let mut chars: Vec<char> = Vec::with_capacity(32);
    for (i, t) in toks.iter().enumerate() {
        let seed = fnv(FNV_OFFSET, &[WORD, 1]);
        let h1 = fnv(seed, t.as_bytes());
        f(WORD, h1);
        if cfg.word_ngram_max >= 2 {
            if let Some(next) = toks.get(i + 1) {
                let h = fnv(fnv(fnv(FNV_OFFSET, &[WORD, 2]), t.as_bytes()), b" ");
                f(WORD, fnv(h, next.as_bytes()));
            }
        }
        if t == "0" {
            continue;
        }
        chars.clear();
        chars.push(' ');
        chars.extend(t.chars());
        chars.push(' ');
        let mut buf = [0u8; 4];
        for n in cfg.char_ngram_min..=cfg.char_ngram_max {
            if n > chars.len() {
                break;
            }
            for w in chars.windows(n) {
                let mut h = fnv(FNV_OFFSET, &[CHAR, n as u8]);
                for c in w {
                    h = fnv(h, c.encode_utf8(&mut buf).as_bytes());
                }
                f(CHAR, h);
            }
        }
    }
}

fn quoted_weight(doc: &Doc<'_>, cfg: &FeatureConfig) -> f32 {
    let words = doc
        .main
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .count();
    if words < 3 {
        1.0
    } else {
        cfg.quoted_weight
    }
}

/// The fitted vocabulary and inverse document frequencies.
#[derive(Debug, Clone)]
pub struct Vectorizer {
    config: FeatureConfig,
    columns: HashMap<u64, u32>,
    hashes: Vec<u64>,
    idf: Vec<f32>,
    blocks: Vec<u8>,
}

impl Vectorizer {
    /// Learns the vocabulary and IDF from training documents.
    pub fn fit(docs: &[Doc<'_>], config: FeatureConfig) -> Vectorizer {
        let mut df: HashMap<u64, (u32, u8)> = HashMap::new();
        let mut seen: HashMap<u64, u8> = HashMap::new();
        for d in docs {
            seen.clear();
            for text in [d.main, d.quoted] {
                each_feature(text, &config, &mut |b, h| {
                    seen.insert(h, b);
                });
            }
            for (h, b) in &seen {
                df.entry(*h).or_insert((0, *b)).0 += 1;
            }
        }
        let mut kept: Vec<(u64, u32, u8)> = df
            .into_iter()
            .filter(|(_, (n, _))| *n >= config.min_df)
            .map(|(h, (n, b))| (h, n, b))
            .collect();
        // most frequent first, then by hash: deterministic
        kept.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.truncate(config.max_features);
        kept.sort_by_key(|k| k.0);
        let n = docs.len() as f32;
        let idf = kept
            .iter()
            .map(|k| ((1.0 + n) / (1.0 + k.1 as f32)).ln() + 1.0)
            .collect();
        Vectorizer::from_parts(
            config,
            kept.iter().map(|k| k.0).collect(),
            idf,
            kept.iter().map(|k| k.2).collect(),
        )
    }

    /// Rebuilds a vectorizer from its saved parts.
    pub fn from_parts(
        config: FeatureConfig,
        hashes: Vec<u64>,
        idf: Vec<f32>,
        blocks: Vec<u8>,
    ) -> Self {
        let columns = hashes
            .iter()
            .enumerate()
            .map(|(i, h)| (*h, i as u32))
            .collect();
        Vectorizer {
            config,
            columns,
            hashes,
            idf,
            blocks,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &FeatureConfig {
        &self.config
    }

    /// Number of features (columns).
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// True when no feature was kept.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// The saved parts: hashes, IDF and block (`w` or `c`) per column.
    pub fn parts(&self) -> (&[u64], &[f32], &[u8]) {
        (&self.hashes, &self.idf, &self.blocks)
    }

    /// The TF-IDF row of one text: each block L2-normalised, scaled so the
    /// row has norm 1.
    fn row(&self, text: &str) -> HashMap<u32, f32> {
        let mut counts: HashMap<u32, f32> = HashMap::new();
        each_feature(text, &self.config, &mut |_, h| {
            if let Some(&c) = self.columns.get(&h) {
                *counts.entry(c).or_insert(0.0) += 1.0;
            }
        });
        for (c, v) in counts.iter_mut() {
            *v = (1.0 + *v).ln() * self.idf[*c as usize];
        }
        let mut norms = [0.0f32; 2];
        for (c, v) in &counts {
            norms[(self.blocks[*c as usize] == CHAR) as usize] += v * v;
        }
        let present = norms.iter().filter(|n| **n > 0.0).count().max(1) as f32;
        let scale = norms.map(|n| {
            if n > 0.0 {
                1.0 / (n.sqrt() * present.sqrt())
            } else {
                0.0
            }
        });
        for (c, v) in counts.iter_mut() {
            *v *= scale[(self.blocks[*c as usize] == CHAR) as usize];
        }
        counts
    }

    /// The TF-IDF row of a document: the new text's row plus the quoted
    /// history's row times the quoted weight (each of norm 1, so however
    /// long the history, it cannot outweigh the new text), normalised.
    pub fn transform(&self, doc: &Doc<'_>) -> SparseVec {
        let mut row = self.row(doc.main);
        let qw = quoted_weight(doc, &self.config);
        if !doc.quoted.is_empty() && qw > 0.0 {
            for (c, v) in self.row(doc.quoted) {
                *row.entry(c).or_insert(0.0) += qw * v;
            }
        }
        let norm = row.values().map(|v| v * v).sum::<f32>().sqrt();
        let mut out: SparseVec = row
            .into_iter()
            .map(|(c, v)| (c, if norm > 0.0 { v / norm } else { v }))
            .collect();
        out.sort_by_key(|x| x.0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_have_unit_norm_and_typos_share_features() {
        let docs = [
            Doc {
                main: "where is my shipping",
                quoted: "",
            },
            Doc {
                main: "shipping is late",
                quoted: "",
            },
            Doc {
                main: "my shippinh is late",
                quoted: "",
            },
        ];
        let v = Vectorizer::fit(&docs, FeatureConfig::default());
        assert!(!v.is_empty());
        let r = v.transform(&docs[2]);
        let norm: f32 = r.iter().map(|x| x.1 * x.1).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        let a = v.transform(&Doc {
            main: "shipping",
            quoted: "",
        });
        let b = v.transform(&Doc {
            main: "shippinh",
            quoted: "",
        });
        let dot: f32 = a
            .iter()
            .filter_map(|(c, x)| b.iter().find(|(d, _)| d == c).map(|(_, y)| x * y))
            .sum();
        assert!(dot > 0.3, "{dot}");
        assert!(v.transform(&Doc::default()).is_empty());
    }
}
