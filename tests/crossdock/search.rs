//! The product index (`crossdock-search`) over the demo's product master:
//! every product is found by its name and by its internal reference, with
//! the separators and case people type.

use crossdock_search::{normalize_code, products_from_warehouse, ProductIndex};
use crossdock_warehouse::Warehouse;

use crate::common::demo_fixture;

#[tokio::test(flavor = "multi_thread")]
async fn every_demo_product_is_found_by_name_and_code() {
    let (data, _) = demo_fixture();
    let warehouse = Warehouse::open_existing(data.to_str().unwrap()).unwrap();
    let products = products_from_warehouse(&warehouse).await.unwrap();
    assert_eq!(products.len(), 40, "the demo's 40 products");
    assert!(products
        .iter()
        .all(|p| !p.names.is_empty() && !p.codes.is_empty()));
    let index = ProductIndex::build(&products).unwrap();
    let (mut by_name, mut in_top3) = (0, 0);
    for p in &products {
        let found = index.search(&p.names[0], 3).unwrap();
        by_name += usize::from(found[0].product_id == p.product_id);
        in_top3 += usize::from(found.iter().any(|c| c.product_id == p.product_id));
        // the internal reference, exactly and as typed with other separators
        let code = &p.codes[0];
        assert_eq!(index.by_code(code).unwrap(), vec![p.product_id], "{code}");
        let typed = normalize_code(code).to_lowercase();
        assert_eq!(
            index.search(&typed, 1).unwrap()[0].product_id,
            p.product_id,
            "{typed}"
        );
    }
    // names repeat words across variants ("Carriage Bolt Grade 8"): the
    // right one first for nearly all, within the top 3 for all
    assert_eq!(in_top3, products.len());
    assert!(
        by_name * 10 >= products.len() * 9,
        "{by_name} of {}",
        products.len()
    );
}
