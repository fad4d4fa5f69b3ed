// src/main/java/com/shop/pricing/PriceCalculator.java (excerpt, lines 30-62)
package com.shop.pricing;

public class PriceCalculator {
    private final DiscountRepository discounts;
    private final TaxTable taxes;

    public Money finalPrice(Product product, Customer customer) {
        Money base = product.getListPrice();
        Discount discount = discounts.findActive(product.getSku(), customer.getTier());
        // PR #1842: loyalty tiers without a discount row now return null instead of Discount.NONE
        Money discounted = base.minus(discount.amountFor(base));   // line 41
        return taxes.apply(discounted, customer.getRegion());
    }
}
