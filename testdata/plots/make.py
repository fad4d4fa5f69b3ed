#!/usr/bin/env python3
"""Writes the plot samples of this folder (deterministic; run from anywhere).

checkout-metrics.csv: 10-second points, 2024-05-01 14:00-15:00 UTC, of a checkout service whose
payments database is down from 14:40 to 14:50 (requests fall, p99 latency and errors rise, the
connection pool empties). checkout-traces.otlp.json: one OTLP/JSON trace a minute through
frontend -> checkout -> payments -> postgres; during the outage the database call times out.
"""
import json
import os
from datetime import datetime, timedelta, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
START = datetime(2024, 5, 1, 14, 0, tzinfo=timezone.utc)
OUTAGE = (START + timedelta(minutes=40), START + timedelta(minutes=50))


class Lcg:
    def __init__(self, seed):
        self.state = seed

    def uniform(self):
        self.state = (self.state * 6364136223846793005 + 1442695040888963407) % 2**64
        return (self.state >> 11) / 2**53

    def noise(self, scale):
        return (self.uniform() * 2 - 1) * scale


def metrics(rng):
    rows = ["timestamp,requests_per_second,latency_p99_ms,db_connections,error_ratio"]
    for step in range(360):
        at = START + timedelta(seconds=10 * step)
        down = OUTAGE[0] <= at < OUTAGE[1]
        rps = (6 if down else 120) + rng.noise(4)
        p99 = (5000 if down else 180) + rng.noise(300 if down else 15)
        pool = 0 if down else round(40 + rng.noise(3))
        errors = (0.9 if down else 0.002) + rng.noise(0.05 if down else 0.002)
        rows.append(f"{at:%Y-%m-%d %H:%M:%S},{rps:.1f},{p99:.1f},{pool},{max(errors, 0):.4f}")
    return "\n".join(rows) + "\n"


def nanos(at):
    return str(int(at.timestamp()) * 1_000_000_000 + at.microsecond * 1000)


def span(trace, span_id, parent, name, kind, start, millis, error, attributes=()):
    body = {
        "traceId": trace,
        "spanId": span_id,
        "parentSpanId": parent,
        "name": name,
        "kind": kind,
        "startTimeUnixNano": nanos(start),
        "endTimeUnixNano": nanos(start + timedelta(milliseconds=millis)),
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attributes],
        "status": {"code": "STATUS_CODE_ERROR"} if error else {},
    }
    return body


def traces(rng):
    by_service = {"frontend": [], "checkout": [], "payments": []}
    for minute in range(60):
        at = START + timedelta(minutes=minute, seconds=7)
        down = OUTAGE[0] <= at < OUTAGE[1]
        trace = f"{0x4bf92f3577b34da6a3ce929d0e0e0000 + minute:032x}"
        ids = [f"{minute:04x}{part:012x}" for part in range(1, 6)]
        db = 3000 + rng.noise(50) if down else 12 + rng.noise(4)
        pay = db + 8 + rng.noise(2)
        checkout = pay + 15 + rng.noise(3)
        front = checkout + 6 + rng.noise(2)
        t1 = at + timedelta(milliseconds=2)
        t2 = t1 + timedelta(milliseconds=9)
        t3 = t2 + timedelta(milliseconds=3)
        by_service["frontend"].append(span(trace, ids[0], "", "GET /checkout", "SPAN_KIND_SERVER", at, front, down))
        by_service["checkout"].append(span(trace, ids[1], ids[0], "POST /orders", "SPAN_KIND_SERVER", t1, checkout, down))
        by_service["checkout"].append(span(trace, ids[2], ids[1], "load cart", "SPAN_KIND_INTERNAL", t1 + timedelta(milliseconds=1), 6 + rng.noise(1), False))
        by_service["payments"].append(span(trace, ids[3], ids[1], "Charge", "SPAN_KIND_SERVER", t2, pay, down))
        by_service["payments"].append(span(trace, ids[4], ids[3], "INSERT payments", "SPAN_KIND_CLIENT", t3, db, down, [("db.system", "postgresql"), ("peer.service", "payments-db")]))
    resource_spans = [
        {
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
            "scopeSpans": [{"scope": {"name": "otel"}, "spans": spans}],
        }
        for service, spans in by_service.items()
    ]
    return json.dumps({"resourceSpans": resource_spans}, separators=(",", ":")) + "\n"


rng = Lcg(20240501)
with open(os.path.join(HERE, "checkout-metrics.csv"), "w") as out:
    out.write(metrics(rng))
with open(os.path.join(HERE, "checkout-traces.otlp.json"), "w") as out:
    out.write(traces(rng))
