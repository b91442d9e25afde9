"""A business day's reconciliation as one HTML page for finance: the day's flows as a chart (inline SVG,
no script), the counts and sums per classification, and the open mismatches with what to do."""

from __future__ import annotations

from html import escape
from typing import Any

WIDTH, BAR, GAP = 640, 22, 8


def render(report: dict[str, Any]) -> str:
    classes = sorted(report["classes"].items(), key=lambda kv: -kv[1]["amount_fen"])
    top = max((c["amount_fen"] for _, c in classes), default=0) or 1
    bars = "".join(
        f'<g transform="translate(0,{i * (BAR + GAP)})"><text x="0" y="{BAR - 6}">{escape(name)}</text>'
        f'<rect x="200" y="0" height="{BAR}" width="{max(2, int((WIDTH - 320) * c["amount_fen"] / top))}" '
        f'class="{"open" if c["open"] else "ok"}"/>'
        f'<text x="{210 + int((WIDTH - 320) * c["amount_fen"] / top)}" y="{BAR - 6}">{_yuan(c["amount_fen"])} · '
        f'{c["items"]:,}</text></g>' for i, (name, c) in enumerate(classes))
    height = max(1, len(classes)) * (BAR + GAP)
    rows = "".join(f"<tr><td>{escape(name)}</td><td>{c['items']:,}</td><td>{_yuan(c['amount_fen'])}</td>"
                   f"<td>{c['open']:,}</td></tr>" for name, c in classes)
    open_rows = "".join(
        f"<tr><td>{escape(i['classification'])}</td><td>{escape(i['item_id'])}</td><td>{_yuan(i['amount_fen'])}</td>"
        f"<td>{escape(i['detail'])}</td><td>{escape(i['what_to_do'])}</td></tr>" for i in report["open_items"])
    recovery = "".join(f"<tr><td>{escape(r['item_id'])}</td><td>{_yuan(r['amount_fen'])}</td></tr>"
                       for r in report["recovery_items"])
    closed = report["closed"]
    status = (f"已关账 closed by {escape(closed['by'])}" + (f" — {escape(closed['reason'])}" if closed["reason"] else "")
              if closed else "未关账 open")
    day = escape(report["business_date"])
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>对账 Reconciliation {day}</title>
<style>body{{font-family:sans-serif;margin:2em;color:#222}} table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:left}} rect.ok{{fill:#4a8}} rect.open{{fill:#d54}}
svg text{{font-size:13px}}</style></head><body>
<h1>银行对账 Reconciliation of {day}</h1>
<p>{status}; {report['open']:,} 笔待处理 open, {report['unexplained']:,} 笔未解释 unexplained.</p>
<h2>当日资金流 The day's flows</h2>
<svg role="img" aria-label="amount per classification" width="{WIDTH}" height="{height}">{bars}</svg>
<table><tr><th>分类 class</th><th>笔数 items</th><th>金额 amount (元)</th><th>待处理 open</th></tr>{rows}</table>
<h2>待处理差异 Open mismatches</h2>
<table><tr><th>分类</th><th>项目 item</th><th>金额</th><th>说明 detail</th><th>处理 what to do</th></tr>{open_rows}</table>
<h2>追回事项 Recovery items (booked twice)</h2>
<table><tr><th>项目 item</th><th>金额</th></tr>{recovery}</table>
<p><a href="items.csv">CSV</a></p></body></html>"""


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"
