//! # crossdock-search — full-text indexes for products (and, next, catalogs and messages)
//!
//! Candidate retrieval for the models: given a supplier's catalog line or a
//! phrase from a customer's e-mail, which products of the master could it
//! be? A [`ProductIndex`] is a tantivy index, in RAM, rebuilt from the
//! warehouse's product master ([`products_from_warehouse`]: `product_product`,
//! `product_template`, the vendors' own codes in `product_supplierinfo`):
//!
//! - `name` — BM25 over the product's name and its vendors' product names,
//!   lower-cased words;
//! - `code_ngrams` — character 3- to 5-grams of every code (internal
//!   reference, barcode, vendors' codes) and of the name's words that hold a
//!   digit (model numbers such as `M8x40`), after normalisation (upper case,
//!   separators dropped: `blt-00025`, `BLT 00025` and `BLT00025` are one
//!   code), so a code with a typo or another separator still finds its
//!   product;
//! - `code_exact` — the normalised codes as they are, for exact lookups
//!   ([`ProductIndex::by_code`]).
//!
//! ```text
//!  warehouse (Delta) ──products_from_warehouse──► ProductIndex (tantivy, RAM) ──► models (matching, triage), api
//! ```
//!
//! ```
//! use crossdock_search::{ProductIndex, ProductRecord};
//!
//! let index = ProductIndex::build(&[
//!     ProductRecord::new(1, "Hex Bolt M8x40 Zinc").code("BLT-00025"),
//!     ProductRecord::new(2, "Copy Paper A4 500 sheets").code("OFF-00017").barcode("4006381333931"),
//! ])?;
//! let found = index.search("hex bolt m8 x 40 zinc plated", 5)?;
//! assert_eq!(found[0].product_id, 1);
//! // a code with another separator and a typo still finds its product
//! assert_eq!(index.search("BLT0025", 5)?[0].product_id, 1);
//! assert_eq!(index.by_code("4006381333931")?, vec![2]);
//! # Ok::<(), crossdock_search::SearchError>(())
//! ```
//!
//! What this crate must not do: be the source of truth for anything — an
//! index can always be rebuilt from the warehouse.

use std::collections::BTreeMap;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, INDEXED, STORED,
    STRING,
};
use tantivy::tokenizer::{LowerCaser, NgramTokenizer, SimpleTokenizer, TextAnalyzer, TokenStream};
use tantivy::{Index, IndexReader, TantivyDocument, Term};

/// What can go wrong building or searching an index.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed (building, committing, reading).
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    /// The product master could not be read from the warehouse.
    #[error("reading the product master: {0}")]
    Warehouse(#[from] Box<crossdock_warehouse::WarehouseError>),
    /// A column of the product master had an unexpected type.
    #[error("reading the product master: column {column}: {reason}")]
    Column {
        /// The column.
        column: String,
        /// What is wrong.
        reason: String,
    },
}

/// The crate's result type.
pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// One product as the index knows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProductRecord {
    /// `product_product.id`.
    pub product_id: i64,
    /// The product's name, and its vendors' names for it.
    pub names: Vec<String>,
    /// Internal reference, vendors' codes, manufacturer part numbers.
    pub codes: Vec<String>,
    /// Barcodes (GTIN / EAN / UPC).
    pub barcodes: Vec<String>,
}

impl ProductRecord {
    /// A product with one name.
    pub fn new(product_id: i64, name: &str) -> ProductRecord {
        ProductRecord {
            product_id,
            names: vec![name.to_string()],
            ..Default::default()
        }
    }

    /// With one more code.
    pub fn code(mut self, code: &str) -> ProductRecord {
        self.codes.push(code.to_string());
        self
    }

    /// With one more barcode.
    pub fn barcode(mut self, barcode: &str) -> ProductRecord {
        self.barcodes.push(barcode.to_string());
        self
    }
}

/// A product the index proposes for a query.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// `product_product.id`.
    pub product_id: i64,
    /// tantivy's score (BM25 on names plus n-gram matches on codes);
    /// comparable within one query only.
    pub score: f32,
}

/// A code as the index compares codes: upper case, letters and digits only.
pub fn normalize_code(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .collect()
}

const NAME_TOKENIZER: &str = "crossdock_words";
const NGRAM_TOKENIZER: &str = "crossdock_code_ngrams";
/// Shortest and longest character n-gram of the code field.
const NGRAM: (usize, usize) = (3, 5);
/// Largest heap tantivy's writer may use while building.
const WRITER_HEAP: usize = 64 * 1024 * 1024;

/// A products index in RAM (see the crate documentation).
pub struct ProductIndex {
    index: Index,
    reader: IndexReader,
    id: Field,
    name: Field,
    code_ngrams: Field,
    code_exact: Field,
    products: usize,
}

impl std::fmt::Debug for ProductIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductIndex")
            .field("products", &self.products)
            .finish()
    }
}

fn words() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(LowerCaser)
        .build()
}

fn ngrams() -> Result<TextAnalyzer> {
    Ok(TextAnalyzer::builder(NgramTokenizer::all_ngrams(NGRAM.0, NGRAM.1)?).build())
}

/// The words of a text that look like codes or model numbers: holding a
/// digit and at least 3 characters once normalised.
fn code_like(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split_whitespace()
        .map(normalize_code)
        .filter(|w| w.len() >= NGRAM.0 && w.chars().any(|c| c.is_ascii_digit()))
}

impl ProductIndex {
    /// Builds the index of `products` (one tantivy commit).
    pub fn build(products: &[ProductRecord]) -> Result<ProductIndex> {
        let mut schema = Schema::builder();
        let id = schema.add_i64_field("product_id", INDEXED | STORED);
        let text = |tokenizer: &str| {
            TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqs),
            )
        };
        let name = schema.add_text_field("name", text(NAME_TOKENIZER));
        let code_ngrams = schema.add_text_field("code_ngrams", text(NGRAM_TOKENIZER));
        let code_exact = schema.add_text_field("code_exact", STRING);
        let index = Index::create_in_ram(schema.build());
        index.tokenizers().register(NAME_TOKENIZER, words());
        index.tokenizers().register(NGRAM_TOKENIZER, ngrams()?);
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(1, WRITER_HEAP)?;
        for p in products {
            let mut doc = TantivyDocument::default();
            doc.add_i64(id, p.product_id);
            for n in &p.names {
                doc.add_text(name, n);
                for w in code_like(n) {
                    doc.add_text(code_ngrams, &w);
                }
            }
            for c in p.codes.iter().chain(&p.barcodes) {
                let c = normalize_code(c);
                if c.is_empty() {
                    continue;
                }
                doc.add_text(code_ngrams, &c);
                doc.add_text(code_exact, &c);
            }
            writer.add_document(doc)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        Ok(ProductIndex {
            index,
            reader,
            id,
            name,
            code_ngrams,
            code_exact,
            products: products.len(),
        })
    }

    /// How many products it holds.
    pub fn len(&self) -> usize {
        self.products
    }

    /// Does it hold no product?
    pub fn is_empty(&self) -> bool {
        self.products == 0
    }

    fn terms(&self, analyzer: &mut TextAnalyzer, field: Field, text: &str) -> Vec<Term> {
        let mut out = Vec::new();
        let mut stream = analyzer.token_stream(text);
        while stream.advance() {
            out.push(Term::from_field_text(field, &stream.token().text));
        }
        out
    }

    /// The `k` best products for a free text (a catalog line's description,
    /// a phrase of an e-mail), best first: any of its words in a name (BM25)
    /// or any of its code-like words' n-grams in a code. Text of any shape
    /// is fine (no query syntax); an empty text or `k` = 0 finds nothing.
    pub fn search(&self, text: &str, k: usize) -> Result<Vec<Candidate>> {
        if k == 0 {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in self.terms(&mut words(), self.name, text) {
            clauses.push((
                Occur::Should,
                Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)),
            ));
        }
        let mut grams = ngrams()?;
        let mut codes: Vec<String> = code_like(text).collect();
        let whole = normalize_code(text);
        if whole.len() >= NGRAM.0 && text.split_whitespace().count() == 1 {
            codes.push(whole);
        }
        codes.sort();
        codes.dedup();
        for c in &codes {
            for t in self.terms(&mut grams, self.code_ngrams, c) {
                clauses.push((
                    Occur::Should,
                    Box::new(TermQuery::new(t, IndexRecordOption::WithFreqs)),
                ));
            }
        }
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        self.top(&BooleanQuery::new(clauses), k)
    }

    fn top(&self, query: &dyn Query, k: usize) -> Result<Vec<Candidate>> {
        let searcher = self.reader.searcher();
        let hits = searcher.search(query, &TopDocs::with_limit(k).order_by_score())?;
        let mut out = Vec::with_capacity(hits.len());
        for (score, address) in hits {
            let doc: TantivyDocument = searcher.doc(address)?;
            if let Some(product_id) = doc.get_first(self.id).and_then(|v| v.as_i64()) {
                out.push(Candidate { product_id, score });
            }
        }
        Ok(out)
    }

    /// The products whose code or barcode is exactly `code` once
    /// normalised ([`normalize_code`]), by id.
    pub fn by_code(&self, code: &str) -> Result<Vec<i64>> {
        let code = normalize_code(code);
        if code.is_empty() {
            return Ok(Vec::new());
        }
        let term = Term::from_field_text(self.code_exact, &code);
        let query = TermQuery::new(term, IndexRecordOption::Basic);
        let mut ids: Vec<i64> = self
            .top(&query, self.products.max(1))?
            .into_iter()
            .map(|c| c.product_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// The tantivy index, for callers that need more than these queries.
    pub fn tantivy(&self) -> &Index {
        &self.index
    }
}

/// The product master of the warehouse as index records: every
/// `product_product` with its template's name (`name_en_us`), its internal
/// reference (`default_code`, the variant's else the template's) and
/// barcode, and the vendors' product codes and names of its
/// `product_supplierinfo` lines (on the variant, or on its template).
pub async fn products_from_warehouse(
    warehouse: &crossdock_warehouse::Warehouse,
) -> Result<Vec<ProductRecord>> {
    const SQL: &str = "\
        SELECT pp.id AS product_id, pt.name_en_us AS name, \
               coalesce(pp.default_code, pt.default_code) AS code, pp.barcode AS barcode, \
               s.product_code AS vendor_code, s.product_name AS vendor_name \
        FROM product_product pp \
        JOIN product_template pt ON pt.id = pp.product_tmpl_id \
        LEFT JOIN product_supplierinfo s \
          ON s.product_id = pp.id OR (s.product_id IS NULL AND s.product_tmpl_id = pt.id) \
        ORDER BY pp.id";
    let batches = warehouse.sql(SQL).await.map_err(Box::new)?;
    let mut by_id: BTreeMap<i64, ProductRecord> = BTreeMap::new();
    for b in &batches {
        let col = |name: &str| {
            b.column_by_name(name).ok_or_else(|| SearchError::Column {
                column: name.into(),
                reason: "missing".into(),
            })
        };
        let ids = arrow::compute::cast(col("product_id")?, &arrow::datatypes::DataType::Int64)
            .map_err(|e| SearchError::Column {
                column: "product_id".into(),
                reason: e.to_string(),
            })?;
        let ids = ids
            .as_any()
            .downcast_ref::<arrow::array::Int64Array>()
            .expect("cast to Int64");
        let text = |name: &str| -> Result<arrow::array::StringArray> {
            let a = arrow::compute::cast(col(name)?, &arrow::datatypes::DataType::Utf8).map_err(
                |e| SearchError::Column {
                    column: name.into(),
                    reason: e.to_string(),
                },
            )?;
            Ok(a.as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .expect("cast to Utf8")
                .clone())
        };
        let (name, code, barcode, vcode, vname) = (
            text("name")?,
            text("code")?,
            text("barcode")?,
            text("vendor_code")?,
            text("vendor_name")?,
        );
        use arrow::array::Array;
        for r in 0..b.num_rows() {
            if ids.is_null(r) {
                continue;
            }
            let rec = by_id.entry(ids.value(r)).or_insert_with(|| ProductRecord {
                product_id: ids.value(r),
                ..Default::default()
            });
            let push = |v: &mut Vec<String>, a: &arrow::array::StringArray| {
                if a.is_valid(r) && !a.value(r).trim().is_empty() {
                    let s = a.value(r).to_string();
                    if !v.contains(&s) {
                        v.push(s);
                    }
                }
            };
            push(&mut rec.names, &name);
            push(&mut rec.names, &vname);
            push(&mut rec.codes, &code);
            push(&mut rec.codes, &vcode);
            push(&mut rec.barcodes, &barcode);
        }
    }
    Ok(by_id.into_values().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> ProductIndex {
        ProductIndex::build(&[
            ProductRecord::new(1, "Hex Bolt M8x40 Zinc").code("BLT-00025"),
            ProductRecord::new(2, "Hex Bolt M10x60 Zinc").code("BLT-00026"),
            ProductRecord::new(3, "Copy Paper A4 80g 500 sheets")
                .code("OFF-00017")
                .barcode("4006381333931"),
            ProductRecord::new(4, "Stretch Film Clear 500 mm").code("PKG-00006"),
        ])
        .unwrap()
    }

    #[test]
    fn names_rank_by_bm25_and_model_numbers_by_ngrams() {
        let i = index();
        assert_eq!(i.len(), 4);
        assert_eq!(i.search("hex bolt m8x40", 4).unwrap()[0].product_id, 1);
        assert_eq!(i.search("bolt M10 x 60", 4).unwrap()[0].product_id, 2);
        assert_eq!(i.search("a4 copy paper", 2).unwrap()[0].product_id, 3);
        // codes: other separators, other case, a dropped digit
        for q in ["blt 00026", "BLT00026", "blt-0026"] {
            assert_eq!(i.search(q, 1).unwrap()[0].product_id, 2, "{q}");
        }
    }

    #[test]
    fn odd_queries_find_nothing_rather_than_fail() {
        let i = index();
        for q in ["", "   ", "\"(*:)", "AND OR NOT", "日本語"] {
            let found = i.search(q, 3).unwrap();
            assert!(found.len() <= 3, "{q}");
        }
        assert!(i.search("hex bolt", 0).unwrap().is_empty());
        assert!(i.search("", 5).unwrap().is_empty());
    }

    #[test]
    fn exact_codes_and_barcodes() {
        let i = index();
        assert_eq!(i.by_code("off-00017").unwrap(), vec![3]);
        assert_eq!(i.by_code("4006381333931").unwrap(), vec![3]);
        assert!(i.by_code("OFF-0001").unwrap().is_empty());
        assert!(i.by_code("--").unwrap().is_empty());
        assert_eq!(normalize_code(" blt-00025 "), "BLT00025");
    }
}
