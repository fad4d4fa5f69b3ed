SELECT o.id, o.created_at, c.email, SUM(l.amount) AS total
FROM orders o
JOIN customers c ON c.id = o.customer_id
JOIN order_lines l ON l.order_id = o.id
WHERE o.status = 'pending'
  AND o.created_at > now() - interval '1 day'
GROUP BY o.id, o.created_at, c.email
ORDER BY total DESC
LIMIT 50;
