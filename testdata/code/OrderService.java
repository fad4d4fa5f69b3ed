package com.shop.orders;

import java.util.Optional;
import java.time.Duration;

public class OrderService {
    private final OrderRepository repository;

    @Override
    public Order confirm(long id) throws OrderException {
        Optional<Order> order = repository.find(id);
        if (order.isEmpty()) {
            throw new OrderException("unknown order " + id);
        }
        System.out.println("confirming " + id);
        return order.get().confirm(Duration.ofSeconds(30));
    }
}
