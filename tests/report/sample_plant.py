"""A small hand-made snapshot with a row in every table the reports show, including
hostile free text (a script in a complaint, markup in a defect code, a formula as an id)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from tests.report.conftest import AS_OF, Insert, short_line

HOSTILE_TEXT = '<script>alert("pwned")</script>'
HOSTILE_CODE = "<img src=x onerror=alert(1)>"
FORMULA_ID = '=HYPERLINK("http://evil","x")'


def populate(insert: Insert, *, days: int = 10) -> None:
    short_line(insert)
    day0 = AS_OF - timedelta(days=days - 1)
    insert(
        "history.machine_day",
        [
            {
                "machine_id": m,
                "line_id": line,
                "day": day0 + timedelta(days=d),
                "oee": round(base - 0.01 * d * (m == "M2"), 4),
                "availability": 0.9,
                "performance": 0.9,
                "quality": 0.99,
            }
            for d in range(days)
            for m, line, base in (("M1", "L1", 0.8), ("M2", "L1", 0.7), ("M3", "L2", 0.85))
        ],
    )
    insert(
        "history.line_forecast",
        [
            {
                "line_id": line,
                "day": AS_OF + timedelta(days=d),
                "required_qty": req,
                "p10_qty": p50 - 80,
                "p50_qty": p50,
                "p90_qty": p50 + 60,
                "bottleneck_machine_id": bn,
            }
            for d in range(2, 8)
            for line, req, p50, bn in (
                ("L1", 1000.0, 900.0 + 20 * d, "M2"),
                ("L2", 600.0, 700.0, "M3"),
            )
        ]
        + [
            {
                "line_id": "L2",
                "day": AS_OF + timedelta(days=1),
                "required_qty": 600.0,
                "p10_qty": 620.0,
                "p50_qty": 700.0,
                "p90_qty": 760.0,
                "bottleneck_machine_id": "M3",
            }
        ],
    )
    insert(
        "history.machine_health",
        [
            {
                "machine_id": "M2",
                "line_id": "L1",
                "health_score": 0.35,
                "anomalies": 2,
                "predicted_limit_date": AS_OF + timedelta(days=4),
                "evidence": "vibration 7.1 mm/s rising 0.4/day toward 9",
            },
            {"machine_id": "M1", "line_id": "L1", "health_score": 0.95, "anomalies": 0},
            {"machine_id": "M3", "line_id": "L2", "health_score": 0.9, "anomalies": 0},
        ],
    )
    insert(
        "history.sensor_status",
        [
            {
                "sensor_id": "S1",
                "machine_id": "M1",
                "status": "stuck",
                "since": datetime(2026, 3, 8, 4),
                "evidence": "same value 412 readings",
            },
            {
                "sensor_id": "S2",
                "machine_id": "M3",
                "status": "dropout",
                "since": datetime(2026, 3, 9, 13),
                "evidence": "no readings for 6 h",
            },
            {"sensor_id": "S3", "machine_id": "M3", "status": "ok"},
        ],
    )
    insert(
        "history.inventory_projection",
        [
            {
                "material_id": m,
                "day": AS_OF + timedelta(days=d),
                "opening_on_hand": start - rate * d,
                "requirement": rate,
                "receipts": 0.0,
                "closing_on_hand": start - rate * (d + 1),
            }
            for d in range(1, 15)
            for m, start, rate in (("MAT1", 5000.0, 300.0), (FORMULA_ID, 900.0, 80.0))
        ],
    )
    insert(
        "history.material_status",
        [
            {
                "material_id": FORMULA_ID,
                "supplier_id": "SUP2",
                "on_hand": 900.0,
                "days_of_cover": 11.2,
                "stockout_date": AS_OF + timedelta(days=12),
                "safety_stock": 150.0,
                "reorder_point": 600.0,
                "order_qty": 1200.0,
                "order_by_date": AS_OF + timedelta(days=2),
            },
        ],
    )
    insert(
        "history.supplier_performance",
        [
            {
                "supplier_id": "SUP1",
                "received_pos": 20,
                "on_time_rate": 0.95,
                "lead_time_mean_days": 5.1,
                "lead_time_sd_days": 0.4,
                "late_open_pos": 0,
                "risk_score": 0.1,
            },
            {
                "supplier_id": "SUP2",
                "received_pos": 15,
                "on_time_rate": 0.4,
                "lead_time_mean_days": 9.5,
                "lead_time_sd_days": 3.2,
                "late_open_pos": 2,
                "risk_score": 0.8,
            },
        ],
    )
    insert(
        "core.purchase_orders",
        [
            {
                "po_id": "PO7",
                "material_id": FORMULA_ID,
                "supplier_id": "SUP2",
                "qty": 500.0,
                "order_date": date(2026, 2, 20),
                "promised_date": date(2026, 3, 6),
            }
        ],
    )
    lots = [f"LOT{n:02d}" for n in range(30)]
    insert(
        "core.inspections",
        [
            {
                "inspection_id": f"I{n}-{k}",
                "ts": datetime(2026, 3, 1) + timedelta(hours=6 * n, minutes=k),
                "lot_id": lot,
                "product_id": "P1",
                "machine_id": "M2",
                "characteristic": "diameter",
                "value": 10.0 + (0.02 * ((n * 7 + k) % 5 - 2)) + (0.3 if n == 28 else 0.0),
                "lsl": 9.5,
                "usl": 10.5,
            }
            for n, lot in enumerate(lots)
            for k in range(5)
        ],
    )
    insert(
        "history.spc_limits",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "chart": "Xbar-R",
                "subgroup_size": 5,
                "center": 10.0,
                "lcl": 9.95,
                "ucl": 10.05,
                "sigma": 0.04,
            }
        ],
    )
    insert(
        "history.spc_violations",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "lot_id": "LOT28",
                "rule": "WE1",
                "value": 10.3,
                "ts": datetime(2026, 3, 8, 0, 2),
            }
        ],
    )
    insert(
        "history.capability",
        [
            {
                "product_id": "P1",
                "characteristic": "diameter",
                "n": 150,
                "cp": 1.9,
                "cpk": 1.2,
                "pp": 1.7,
                "ppk": 1.1,
            },
            {
                "product_id": "P1",
                "characteristic": "length",
                "n": 150,
                "cp": 2.1,
                "cpk": 1.9,
                "pp": 2.0,
                "ppk": 1.8,
            },
        ],
    )
    insert(
        "history.feedback_insights",
        [
            {
                "product_id": "P1",
                "revision": "A",
                "category": "complaint",
                "feedback_count": 3,
                "rate_per_1000_units": 0.5,
                "lots": '["LOT01"]',
                "lines": '["L1"]',
                "machines": '["M1"]',
            },
            {
                "product_id": "P1",
                "revision": "B",
                "category": "complaint",
                "feedback_count": 14,
                "rate_per_1000_units": 3.5,
                "lots": '["LOT20", "LOT21"]',
                "lines": '["L1"]',
                "machines": '["M2"]',
            },
            {
                "product_id": "P1",
                "revision": "B",
                "category": "praise",
                "feedback_count": 2,
                "rate_per_1000_units": 0.5,
                "lots": "[]",
                "lines": "[]",
                "machines": "[]",
            },
        ],
    )
    insert(
        "core.defects",
        [
            {
                "lot_id": f"LOT{n:02d}",
                "ts": datetime(2026, 3, 5, n),
                "product_id": "P1",
                "line_id": "L1",
                "inspected_qty": 100,
                "defect_code": code,
                "defect_qty": qty,
            }
            for n, (code, qty) in enumerate(
                (("scratch", 9), ("dent", 4), (HOSTILE_CODE, 2), ("burr", 1))
            )
        ],
    )
    insert(
        "core.customer_feedback",
        [
            {
                "feedback_id": "F1",
                "received_at": datetime(2026, 3, 9, 10),
                "customer_id": "C1",
                "product_id": "P1",
                "revision": "B",
                "lot_id": "LOT20",
                "category": "complaint",
                "severity": 5,
                "rating": 1,
                "text": HOSTILE_TEXT,
            },
            {
                "feedback_id": "F2",
                "received_at": datetime(2026, 3, 8, 10),
                "customer_id": "C2",
                "product_id": "P1",
                "revision": "B",
                "lot_id": "LOT21",
                "category": "complaint",
                "severity": 3,
                "rating": 2,
                "text": "rattles & squeaks",
            },
        ],
    )
    insert(
        "quality.quarantine",
        [
            {
                "batch_id": "b1",
                "source": "production",
                "file": "production/2026-03-09.csv",
                "row": 7,
                "stage": "validation",
                "rule": "good_qty_non_negative",
                "reason": "good_qty = -5",
                "raw_values": '{"good_qty": -5, "note": "' + HOSTILE_CODE.replace('"', "") + '"}',
                "quarantined_at": datetime(2026, 3, 10, 2),
            },
            {
                "batch_id": "b1",
                "source": "machines",
                "file": "machines/bad.csv",
                "row": None,
                "stage": "ingest",
                "rule": "unparseable_file",
                "reason": "not CSV",
                "raw_values": None,
                "quarantined_at": datetime(2026, 3, 10, 2),
            },
        ],
    )
    insert(
        "quality.validation_runs",
        [
            {
                "run_id": "r1",
                "batch_id": "b1",
                "source": "production",
                "expectation": "expect_column_values_to_be_between(good_qty)",
                "rule": "good_qty_non_negative",
                "severity": "error",
                "level": "row",
                "success": False,
                "raised": False,
                "element_count": 500,
                "unexpected_count": 1,
                "unexpected_percent": 0.2,
                "validated_at": datetime(2026, 3, 10, 2, 5),
            },
        ],
    )
    insert(
        "ingest.files",
        [
            {
                "source": "production",
                "file": "production/2026-03-09.csv",
                "sha256": "ab",
                "size_bytes": 1000,
                "batch_id": "b1",
                "ingested_at": datetime(2026, 3, 10, 2),
                "status": "loaded",
                "rows_read": 500,
                "rows_loaded": 499,
                "rows_quarantined": 1,
            },
        ],
    )
