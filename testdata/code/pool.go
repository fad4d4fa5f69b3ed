package db

import (
	"context"
	"fmt"
	"time"
)

func (p *Pool) Acquire(ctx context.Context) (*Conn, error) {
	deadline := time.Now().Add(p.timeout)
	for {
		conn, err := p.tryAcquire()
		if err == nil {
			return conn, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("pool exhausted after %s: %w", p.timeout, err)
		}
		defer p.metrics.Wait()
	}
}
