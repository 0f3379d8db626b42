//! Pair features: how alike two records are, as named numbers a scorer can
//! learn from and a person can read as evidence.
//!
//! On the whole text of each record (every attribute but the price): token
//! Jaccard, overlap and containment, TF-IDF cosine and IDF-weighted Jaccard
//! (IDF from the training records), the share of the shorter record's
//! rare words the other lacks, character-trigram Jaccard; numbers with their
//! units and model numbers (shared, one inside the other's text, closest
//! edit similarity, conflict); brand or manufacturer agreement; price
//! ratio. Then, for every text attribute the training records have,
//! the attribute-wise Jaccard, TF-IDF cosine, trigram Jaccard, longest common
//! substring and which side is missing it. And, when a [`TextEmbedder`] is
//! given, the cosine of the two records' sentence embeddings.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::normalize::{self, Analysed};
use super::pairs::{is_price_attr, Record};

/// A sentence-embedding model for the embedding-similarity feature (for
/// instance a MiniLM run with candle). The scorer only needs a vector per
/// text; it takes the cosine.
pub trait TextEmbedder {
    /// What model this is (kept in the trained model, checked when scoring).
    fn id(&self) -> String;
    /// The text's embedding (any length, the same for every text).
    fn embed(&self, text: &str) -> Vec<f32>;
}

/// A closure as a [`TextEmbedder`], with the id to record.
pub struct FnEmbedder<F: Fn(&str) -> Vec<f32>> {
    /// The id recorded in the model.
    pub id: String,
    /// The embedding function.
    pub f: F,
}

impl<F: Fn(&str) -> Vec<f32>> TextEmbedder for FnEmbedder<F> {
    fn id(&self) -> String {
        self.id.clone()
    }
    fn embed(&self, text: &str) -> Vec<f32> {
        (self.f)(text)
    }
}

/// Whether an attribute names the brand or manufacturer.
pub fn is_brand_attr(attr: &str) -> bool {
    let a = attr.to_ascii_lowercase();
    a.contains("brand") || a.contains("manufacturer") || a == "maker" || a == "vendor"
}

/// The longest text compared character by character (longest common
/// substring), per attribute.
const LCS_CAP: usize = 160;

/// What the features are computed from: the attributes and the IDF of
/// the training records. Serialised with the model.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeatureSpace {
    /// Text attributes (not prices), in the order first met.
    pub attrs: Vec<String>,
    /// Word → inverse document frequency over the training records.
    pub idf: HashMap<String, f32>,
    /// How many training records the IDF counted.
    pub n_docs: usize,
    /// The embedder's id when the model uses the embedding feature.
    pub embedder: Option<String>,
}

/// One record, taken apart once.
#[derive(Debug, Clone)]
pub struct Prepared {
    all: Side,
    per_attr: Vec<Option<Side>>,
    brand: Option<String>,
    first_word: Option<String>,
    price: Option<f64>,
    embedding: Option<Vec<f32>>,
}

#[derive(Debug, Clone)]
struct Side {
    an: Analysed,
    tokens: BTreeSet<String>,
    tfidf: BTreeMap<String, f32>,
    trigrams: Vec<u64>,
    lcs_chars: Vec<char>,
}

fn trigrams(text: &str) -> Vec<u64> {
    let mut s: Vec<char> = vec![' '];
    let mut space = true;
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            s.push(c);
            space = false;
        } else if !space {
            s.push(' ');
            space = true;
        }
    }
    if !space {
        s.push(' ');
    }
    let mut out: Vec<u64> = s
        .windows(3)
        .map(|w| {
            // FNV-1a over the three characters
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for c in w {
                h ^= *c as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

fn sorted_jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j, mut inter) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                inter += 1;
                i += 1;
                j += 1;
            }
        }
    }
    inter as f64 / (a.len() + b.len() - inter) as f64
}

/// Longest common substring length (characters).
pub fn longest_common_substring(a: &[char], b: &[char]) -> usize {
    if a.is_empty() || b.is_empty() {
        return 0;
    }
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    let mut best = 0;
    for ca in a {
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = if ca == cb { prev[j] + 1 } else { 0 };
            best = best.max(cur[j + 1]);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    best
}

/// Edit (Levenshtein) similarity: 1 − distance / longer length.
pub fn edit_similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let n = a.len().max(b.len());
    if n == 0 {
        return 1.0;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0usize; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    1.0 - prev[b.len()] as f64 / n as f64
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> (f64, f64, f64, f64) {
    // (jaccard, overlap over the smaller, share of a in b, share of b in a)
    if a.is_empty() || b.is_empty() {
        return (0.0, 0.0, 0.0, 0.0);
    }
    let inter = a.intersection(b).count() as f64;
    let union = (a.len() + b.len()) as f64 - inter;
    (
        inter / union,
        inter / a.len().min(b.len()) as f64,
        inter / a.len() as f64,
        inter / b.len() as f64,
    )
}

fn cosine_sparse(a: &BTreeMap<String, f32>, b: &BTreeMap<String, f32>) -> f64 {
    let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small
        .iter()
        .filter_map(|(k, w)| big.get(k).map(|v| (*w as f64) * (*v as f64)))
        .sum()
}

/// Cosine of two dense vectors (0 when either is zero or the lengths differ).
pub fn cosine_dense(a: &[f32], b: &[f32]) -> f64 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut ab, mut aa, mut bb) = (0.0f64, 0.0f64, 0.0f64);
    for (x, y) in a.iter().zip(b) {
        ab += (*x as f64) * (*y as f64);
        aa += (*x as f64) * (*x as f64);
        bb += (*y as f64) * (*y as f64);
    }
    if aa == 0.0 || bb == 0.0 {
        0.0
    } else {
        ab / (aa.sqrt() * bb.sqrt())
    }
}

impl FeatureSpace {
    /// Learns the attributes and the IDF from the training records (both
    /// sides of every pair; a record met twice counts once).
    pub fn fit<'a>(
        records: impl IntoIterator<Item = &'a Record>,
        embedder: Option<&dyn TextEmbedder>,
    ) -> Self {
        let mut attrs: Vec<String> = Vec::new();
        let mut df: HashMap<String, u32> = HashMap::new();
        let mut seen: HashSet<String> = HashSet::new();
        for r in records {
            for (a, _) in &r.attrs {
                if !is_price_attr(a) && !attrs.contains(a) {
                    attrs.push(a.clone());
                }
            }
            let text = r.text();
            if !seen.insert(text.clone()) {
                continue;
            }
            let toks: HashSet<String> = normalize::analyse(&text).tokens.into_iter().collect();
            for t in toks {
                *df.entry(t).or_default() += 1;
            }
        }
        let n = seen.len();
        let idf = df
            .into_iter()
            .map(|(t, d)| (t, (((n as f64 + 1.0) / (d as f64 + 1.0)).ln() + 1.0) as f32))
            .collect();
        FeatureSpace {
            attrs,
            idf,
            n_docs: n,
            embedder: embedder.map(|e| e.id()),
        }
    }

    fn idf_of(&self, t: &str) -> f32 {
        self.idf
            .get(t)
            .copied()
            .unwrap_or_else(|| ((self.n_docs as f64 + 1.0).ln() + 1.0) as f32)
    }

    fn side(&self, text: &str, lcs: bool) -> Side {
        let an = normalize::analyse(text);
        let tokens: BTreeSet<String> = an.tokens.iter().cloned().collect();
        let mut tfidf: BTreeMap<String, f32> = BTreeMap::new();
        for t in &an.tokens {
            *tfidf.entry(t.clone()).or_default() += 1.0;
        }
        let mut norm = 0.0f32;
        for (t, w) in tfidf.iter_mut() {
            *w *= self.idf_of(t);
            norm += *w * *w;
        }
        if norm > 0.0 {
            let n = norm.sqrt();
            for w in tfidf.values_mut() {
                *w /= n;
            }
        }
        let lcs_chars = if lcs {
            an.compact.chars().take(LCS_CAP).collect()
        } else {
            Vec::new()
        };
        Side {
            trigrams: trigrams(text),
            an,
            tokens,
            tfidf,
            lcs_chars,
        }
    }

    /// Takes a record apart once (pairs share records: prepare each once).
    pub fn prepare(&self, r: &Record, embedder: Option<&dyn TextEmbedder>) -> Prepared {
        let text = r.text();
        let per_attr = self
            .attrs
            .iter()
            .map(|a| match r.get(a) {
                Some(v) if !v.trim().is_empty() => Some(self.side(v, true)),
                _ => None,
            })
            .collect();
        let brand = r
            .attrs
            .iter()
            .find(|(a, v)| is_brand_attr(a) && !v.trim().is_empty())
            .map(|(_, v)| normalize::compact(v));
        let all = self.side(&text, false);
        let first_word = all.an.tokens.first().cloned();
        let price = r
            .attrs
            .iter()
            .find(|(a, v)| is_price_attr(a) && !v.trim().is_empty())
            .and_then(|(_, v)| normalize::parse_price(v));
        let embedding = match (embedder, &self.embedder) {
            (Some(e), Some(_)) => Some(e.embed(&text)),
            _ => None,
        };
        Prepared {
            all,
            per_attr,
            brand,
            first_word,
            price,
            embedding,
        }
    }

    /// The features' names, in the order [`FeatureSpace::features`] gives them.
    pub fn names(&self) -> Vec<String> {
        let mut n: Vec<String> = [
            "all.jaccard",
            "all.overlap",
            "all.left_in_right",
            "all.right_in_left",
            "all.tfidf_cosine",
            "all.idf_jaccard",
            "all.rare_unshared",
            "all.max_idf_shared",
            "all.trigram_jaccard",
            "all.length_ratio",
            "numbers.jaccard",
            "numbers.left_in_right",
            "numbers.right_in_left",
            "numbers.both",
            "codes.shared",
            "codes.in_other_text",
            "codes.best_edit_similarity",
            "codes.both",
            "codes.conflict",
            "brand.agree",
            "brand.in_other_text",
            "brand.first_word_agree",
            "price.ratio",
            "price.missing",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for a in &self.attrs {
            for f in [
                "jaccard",
                "tfidf_cosine",
                "trigram_jaccard",
                "longest_common_substring",
                "one_missing",
                "both_missing",
            ] {
                n.push(format!("{a}.{f}"));
            }
        }
        if self.embedder.is_some() {
            n.push("embedding.cosine".into());
        }
        n
    }

    /// The features of a pair of prepared records.
    pub fn features(&self, l: &Prepared, r: &Prepared) -> Vec<f64> {
        let mut f = Vec::with_capacity(24 + 6 * self.attrs.len() + 1);
        let (a, b) = (&l.all, &r.all);
        let (jac, ovl, lin, rin) = jaccard(&a.tokens, &b.tokens);
        f.extend([jac, ovl, lin, rin, cosine_sparse(&a.tfidf, &b.tfidf)]);
        // IDF-weighted Jaccard, the rare words of the shorter side the other lacks
        let w = |s: &BTreeSet<String>| -> f64 { s.iter().map(|t| self.idf_of(t) as f64).sum() };
        let shared: BTreeSet<String> = a.tokens.intersection(&b.tokens).cloned().collect();
        let ws = w(&shared);
        let wu = w(&a.tokens) + w(&b.tokens) - ws;
        f.push(if wu > 0.0 { ws / wu } else { 0.0 });
        let short = if a.tokens.len() <= b.tokens.len() {
            a
        } else {
            b
        };
        let wshort = w(&short.tokens);
        f.push(if wshort > 0.0 {
            (wshort - ws) / wshort
        } else {
            1.0
        });
        let max_idf = shared
            .iter()
            .map(|t| self.idf_of(t) as f64)
            .fold(0.0, f64::max);
        f.push(max_idf);
        f.push(sorted_jaccard(&a.trigrams, &b.trigrams));
        let (na, nb) = (a.tokens.len() as f64, b.tokens.len() as f64);
        f.push(if na.max(nb) > 0.0 {
            na.min(nb) / na.max(nb)
        } else {
            0.0
        });
        // numbers with units
        let nl: HashSet<&String> = a.an.numbers.iter().collect();
        let nr: HashSet<&String> = b.an.numbers.iter().collect();
        let ni = nl.intersection(&nr).count() as f64;
        let nu = (nl.len() + nr.len()) as f64 - ni;
        f.push(if nu > 0.0 { ni / nu } else { 0.0 });
        f.push(if nl.is_empty() {
            -1.0
        } else {
            ni / nl.len() as f64
        });
        f.push(if nr.is_empty() {
            -1.0
        } else {
            ni / nr.len() as f64
        });
        f.push(f64::from(!nl.is_empty() && !nr.is_empty()));
        // model numbers
        let (cl, cr) = (&a.an.codes, &b.an.codes);
        let shared_code = cl.iter().any(|c| cr.contains(c));
        let in_text = cl
            .iter()
            .any(|c| c.len() >= 5 && b.an.compact.contains(c.as_str()))
            || cr
                .iter()
                .any(|c| c.len() >= 5 && a.an.compact.contains(c.as_str()));
        let mut best = 0.0f64;
        for x in cl {
            for y in cr {
                best = best.max(edit_similarity(x, y));
            }
        }
        let both = !cl.is_empty() && !cr.is_empty();
        f.push(f64::from(shared_code));
        f.push(f64::from(in_text));
        f.push(if both { best } else { -1.0 });
        f.push(f64::from(both));
        f.push(f64::from(both && !shared_code && !in_text));
        // brand
        let brand_agree = match (&l.brand, &r.brand) {
            (Some(x), Some(y)) => {
                f64::from(x == y || x.contains(y.as_str()) || y.contains(x.as_str()))
            }
            _ => -1.0,
        };
        f.push(brand_agree);
        let in_other = |br: &Option<String>, other: &Side| {
            br.as_ref()
                .filter(|x| x.len() >= 2)
                .map(|x| other.an.compact.contains(x.as_str()))
        };
        f.push(match (in_other(&l.brand, b), in_other(&r.brand, a)) {
            (Some(x), Some(y)) => f64::from(x || y),
            (Some(x), None) | (None, Some(x)) => f64::from(x),
            (None, None) => -1.0,
        });
        f.push(match (&l.first_word, &r.first_word) {
            (Some(x), Some(y)) => f64::from(x == y),
            _ => -1.0,
        });
        // price
        match (l.price, r.price) {
            (Some(x), Some(y)) => {
                f.push(x.min(y) / x.max(y));
                f.push(0.0);
            }
            (None, None) => {
                f.push(-1.0);
                f.push(2.0);
            }
            _ => {
                f.push(-1.0);
                f.push(1.0);
            }
        }
        // attribute-wise
        for (x, y) in l.per_attr.iter().zip(&r.per_attr) {
            match (x, y) {
                (Some(x), Some(y)) => {
                    f.push(jaccard(&x.tokens, &y.tokens).0);
                    f.push(cosine_sparse(&x.tfidf, &y.tfidf));
                    f.push(sorted_jaccard(&x.trigrams, &y.trigrams));
                    let lcs = longest_common_substring(&x.lcs_chars, &y.lcs_chars) as f64;
                    let m = x.lcs_chars.len().min(y.lcs_chars.len()).max(1) as f64;
                    f.push(lcs / m);
                    f.push(0.0);
                    f.push(0.0);
                }
                (None, None) => f.extend([-1.0, -1.0, -1.0, -1.0, 0.0, 1.0]),
                _ => f.extend([-1.0, -1.0, -1.0, -1.0, 1.0, 0.0]),
            }
        }
        if self.embedder.is_some() {
            f.push(match (&l.embedding, &r.embedding) {
                (Some(x), Some(y)) => cosine_dense(x, y),
                _ => 0.0,
            });
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(title: &str, brand: &str, price: &str) -> Record {
        Record::new([("title", title), ("brand", brand), ("price", price)])
    }

    fn feats(space: &FeatureSpace, l: &Record, r: &Record) -> HashMap<String, f64> {
        let pl = space.prepare(l, None);
        let pr = space.prepare(r, None);
        space
            .names()
            .into_iter()
            .zip(space.features(&pl, &pr))
            .collect()
    }

    #[test]
    fn names_and_values_line_up_and_same_records_agree() {
        let a = rec("sony cyber-shot dsc-w120 7.2mp", "sony", "104.95");
        let b = rec("canon powershot a590 8mp", "canon", "150");
        let space = FeatureSpace::fit([&a, &b], None);
        assert_eq!(space.attrs, ["title", "brand"]);
        let same = feats(&space, &a, &a);
        assert_eq!(same.len(), space.names().len());
        assert!((same["all.jaccard"] - 1.0).abs() < 1e-9);
        assert!((same["all.tfidf_cosine"] - 1.0).abs() < 1e-6);
        assert_eq!(same["codes.shared"], 1.0);
        assert_eq!(same["brand.agree"], 1.0);
        assert!((same["price.ratio"] - 1.0).abs() < 1e-12);
        assert!((same["title.longest_common_substring"] - 1.0).abs() < 1e-12);
        let diff = feats(&space, &a, &b);
        assert!(diff["all.jaccard"] < 0.2);
        assert_eq!(diff["brand.agree"], 0.0);
        assert_eq!(diff["codes.conflict"], 1.0);
        assert!((diff["price.ratio"] - 104.95 / 150.0).abs() < 1e-12);
    }

    #[test]
    fn model_numbers_written_differently_still_agree() {
        let a = rec("Sony DSC-W120/P camera", "", "");
        let b = rec("sony dscw120p pink", "sony", "");
        let space = FeatureSpace::fit([&a, &b], None);
        let f = feats(&space, &a, &b);
        assert_eq!(f["codes.shared"], 1.0);
        assert_eq!(f["brand.agree"], -1.0);
        assert_eq!(f["brand.in_other_text"], 1.0);
        assert_eq!(f["price.missing"], 2.0);
        assert_eq!(f["brand.one_missing"], 1.0);
    }

    #[test]
    fn the_embedding_feature_is_there_only_with_an_embedder() {
        let e = FnEmbedder {
            id: "len".into(),
            f: |s: &str| vec![s.len() as f32, 1.0],
        };
        let a = rec("abc", "", "");
        let space = FeatureSpace::fit([&a], Some(&e));
        assert_eq!(
            space.names().last().map(String::as_str),
            Some("embedding.cosine")
        );
        let pa = space.prepare(&a, Some(&e));
        let f = space.features(&pa, &pa);
        assert!((f.last().unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(f.len(), space.names().len());
    }

    #[test]
    fn string_measures() {
        let c = |s: &str| s.chars().collect::<Vec<_>>();
        assert_eq!(longest_common_substring(&c("xxabcdyy"), &c("zabcdz")), 4);
        assert_eq!(longest_common_substring(&c(""), &c("a")), 0);
        assert!((edit_similarity("lds4821ww", "lds4821wh") - 8.0 / 9.0).abs() < 1e-12);
        assert_eq!(edit_similarity("", ""), 1.0);
        assert!((cosine_dense(&[1.0, 0.0], &[1.0, 1.0]) - 0.5f64.sqrt()).abs() < 1e-9);
    }
}
