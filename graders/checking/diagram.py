"""A check's transcript drawn as a sequence diagram: inline SVG, no JavaScript.

One lifeline per client (A, B, C... in the order they first appear) and one
for the server, on the right; time runs down, one row per transcript line
(:meth:`graders.checking.harness.Line.event`):

* ``send``/``receive``: an arrow to or from the server with the bytes, shortened
  (:func:`graders.checking.harness.preview`), and their length;
* ``connect``, ``close`` (FIN), ``abort`` (RST: the client hangs up),
  ``peer_closed`` (the server closed), ``reset`` (the server reset the
  connection), a failed connect or send;
* ``wait``: a silence window on the client's lifeline ("waited 0.4 s: nothing");
* ``server`` and ``note``: a note on the lifeline.

The failing step of a failed check is highlighted (class ``failing``) and the
check's rationale written under it.  The functions return HTML fragments for
Jupyter (``_repr_html_``) and nbgrader's feedback pages, or a whole page
(:func:`page`, for ``python -m graders check ... --html OUT.html``); the SVG is
built from the small templates below with :func:`html.escape` and uses no
external assets, so it renders offline and in a static HTML file.
"""
from __future__ import annotations

import html
import re
import textwrap
# The results drawn are graders.checking.results' CheckResult and Report; this module does not import
# them (results imports it, for Jupyter's _repr_html_): a result is read by its attributes alone.

ROW = 30  # pixels per transcript line
TOP = 56  # pixels above the first row (the lifelines' heads)
TIME_WIDTH = 74  # pixels of the time column on the left
GAP = 250  # pixels between two lifelines, at most
MIN_GAP = 100  # pixels between two lifelines, at least (lifelines are packed to fit MAX_WIDTH)
MAX_WIDTH = 1200  # pixels a diagram aims at: a notebook's output area (JupyterLab, 1400 px window)
NOTE_WIDTH = 300  # pixels right of the server's lifeline, for its notes (220 when lifelines are packed)
FOLD_GROUP = 5  # clients named alike (P01, P02, ...) from which the middle ones share one lifeline
CHAR = 6.7  # pixels per character of the 11 px monospace labels
FONT = "font-family='ui-monospace,Menlo,Consolas,monospace' font-size='11' xml:space='preserve'"
COLOURS = {"pass": "#2e7d32", "fail": "#c62828", "skip": "#757575", "error": "#6a1b9a"}
MARKS = {"pass": ":)", "fail": ":(", "skip": ":|", "error": "!!"}
RED = "#c62828"
# kind: (colour, dashed, label of the arrow (None: from the event's bytes), towards the server)
ARROWS = {
    "send": ("#1565c0", False, None, True),
    "receive": ("#2e7d32", False, None, False),
    "connect": ("#555555", True, "connect", True),
    "connect_failed": (RED, True, "could not connect", True),
    "send_failed": (RED, False, None, True),
    "close": ("#555555", True, "closes (FIN)", True),
    "abort": ("#e65100", True, "hangs up (RST)", True),
    "peer_closed": ("#555555", True, "server closed the connection (FIN)", False),
    "reset": (RED, True, "server reset the connection (RST)", False),
}


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _prose(text: str) -> str:
    """A rationale or hint as HTML: escaped, and `code` in backticks shown as <code>code</code>."""
    return re.sub(r"`([^`\n]+)`", lambda m: f"<code>{m.group(1)}</code>", _e(text))


def _fit(text: str, pixels: float) -> str:
    chars = max(int(pixels / CHAR), 4)
    return text if len(text) <= chars else text[:chars - 1] + "…"


def failing_index(result) -> int | None:
    """The row to highlight: the step that failed (``CheckResult.failed_step``, which
    graders.checks.failed_step chose), not the checker's own closing of a client; when the
    server closed right after a receive, that receive (what the check judged)."""
    events = result.events
    if result.status not in ("fail", "error") or not events:
        return None
    last = len(events) - 1 if result.failed_step is None else min(result.failed_step, len(events) - 1)
    who = events[last]["who"]
    while last > 0 and events[last]["kind"] == "close":
        last -= 1
    if events[last]["who"] != who:  # a client's own close was all it had: keep to that client
        last = next((i for i in range(last, -1, -1) if events[i]["who"] == who), last)
    # what came just before the server closed is what the check judged
    if events[last]["kind"] == "peer_closed" and last > 0:
        before = next((i for i in range(last - 1, -1, -1) if events[i]["who"] == events[last]["who"]), None)
        if before is not None and events[before]["kind"] == "receive":
            last = before
    return last


def _lifelines(events: list[dict]) -> list[str]:
    clients: list[str] = []
    for event in events:
        if event["who"] != "server" and event["who"] not in clients:
            clients.append(event["who"])
    return clients + ["server"]


def _arrow(x1: float, x2: float, y: float, colour: str, dashed: bool, label: str, tip: str) -> str:
    head = 7 if x2 > x1 else -7
    dash = " stroke-dasharray='5,4'" if dashed else ""
    mid = (x1 + x2) / 2
    return (f"<g><title>{_e(tip)}</title>"
            f"<line x1='{x1:.0f}' y1='{y:.0f}' x2='{x2 - head:.0f}' y2='{y:.0f}' stroke='{colour}' "
            f"stroke-width='1.6'{dash}/>"
            f"<polygon points='{x2:.0f},{y:.0f} {x2 - head:.0f},{y - 4:.0f} {x2 - head:.0f},{y + 4:.0f}' "
            f"fill='{colour}'/>"
            f"<text x='{mid:.0f}' y='{y - 5:.0f}' text-anchor='middle' fill='{colour}' {FONT}>"
            f"{_e(_fit(label, abs(x2 - x1) - 12))}</text></g>")


def _note(x: float, y: float, width: float, text: str, fill: str, stroke: str, tip: str) -> str:
    return (f"<g><title>{_e(tip)}</title>"
            f"<rect x='{x:.0f}' y='{y - 11:.0f}' width='{width:.0f}' height='18' rx='3' fill='{fill}' "
            f"stroke='{stroke}'/>"
            f"<text x='{x + 5:.0f}' y='{y + 2:.0f}' fill='#222' {FONT}>{_e(_fit(text, width - 10))}</text></g>")


def _lanes(result, failing: int | None) -> tuple[list[str], dict[str, str]]:
    """The client lifelines in order, and each client's lifeline.

    Clients named alike (``P01`` ... ``P10``), :data:`FOLD_GROUP` or more, are
    folded: the first, the last, the failing one and those the rationale names
    keep their own lifeline; the others share one, labelled ``P02…P09 (6)``.
    The grader's own notes (``grader``) get no lifeline.
    """
    events = result.events
    clients = [who for who in _lifelines(events) if who not in ("server", "grader")]
    named = set(re.findall(r"\b\w+\b", result.rationale or "")) & set(clients)
    keep = named if len(named) <= 3 else set()  # "clients P01, P02, ... P10": the failing one is enough
    if failing is not None:
        keep.add(events[failing]["who"])
    groups: dict[str, list[str]] = {}
    for who in clients:
        named = re.fullmatch(r"([A-Za-z]+)(\d+)", who)
        if named:
            groups.setdefault(named.group(1), []).append(who)
    lane_of = {who: who for who in clients}
    for members in groups.values():
        folded = [who for who in members[1:-1] if who not in keep] if len(members) >= FOLD_GROUP else []
        if len(folded) >= 2:
            for who in folded:
                lane_of[who] = f"{folded[0]}…{folded[-1]} ({len(folded)})"
    lanes: list[str] = []
    for who in clients:
        if lane_of[who] not in lanes:
            lanes.append(lane_of[who])
    return lanes, lane_of


def _rows(events: list[dict], lane_of: dict[str, str], failing: int | None) -> list[list[int]]:
    """The diagram's rows: indices into ``events``; a folded lifeline's run of steps of one kind
    (ten clients receiving their lines) is one row, never the failing step."""
    rows: list[list[int]] = []
    for index, event in enumerate(events):
        lane = lane_of.get(event["who"])
        if rows and index != failing and failing not in rows[-1] and lane is not None and lane != event["who"]:
            previous = events[rows[-1][0]]
            if lane_of.get(previous["who"]) == lane and previous["kind"] == event["kind"]:
                rows[-1].append(index)
                continue
        rows.append([index])
    return rows


def svg(result) -> str:
    """The check's transcript as an inline ``<svg>`` sequence diagram ("" when it has no transcript).

    It aims at :data:`MAX_WIDTH` pixels: lifelines are packed (:data:`MIN_GAP`
    to :data:`GAP` apart) and long runs of similar clients folded (:func:`_lanes`).
    """
    events = result.events
    if not events:
        return ""
    failing = failing_index(result)
    lanes, lane_of = _lanes(result, failing)
    room = MAX_WIDTH - TIME_WIDTH - 50 - NOTE_WIDTH
    gap = max(MIN_GAP, min(GAP, room / max(len(lanes), 1)))
    note_width = NOTE_WIDTH if gap >= GAP else 220
    x = {lane: TIME_WIDTH + 50 + i * gap for i, lane in enumerate(lanes)}
    x["server"] = TIME_WIDTH + 50 + len(lanes) * gap
    width = x["server"] + note_width
    rows = _rows(events, lane_of, failing)
    why = textwrap.wrap(f"✗ {result.rationale or result.description}", int((width - TIME_WIDTH - 20) / CHAR))
    height = TOP + ROW * (len(rows) + (len(why) * 0.6 + 0.6 if failing is not None else 0)) + 10
    parts = [f"<svg xmlns='http://www.w3.org/2000/svg' class='graders-sequence' width='{width:.0f}' "
             f"height='{height:.0f}' viewBox='0 0 {width:.0f} {height:.0f}' role='img' "
             f"aria-label='sequence diagram of the check: {_e(result.description)}'>",
             f"<rect width='100%' height='100%' fill='#ffffff'/>"]
    for lane in [*lanes, "server"]:
        label = "server" if lane == "server" else f"client {lane}" if lane in events_who(events) else lane
        parts.append(f"<line x1='{x[lane]:.0f}' y1='{TOP - 18}' x2='{x[lane]:.0f}' y2='{height - 6:.0f}' "
                     f"stroke='#9e9e9e' stroke-dasharray='2,3'/>"
                     f"<rect x='{x[lane] - 45:.0f}' y='8' width='90' height='24' rx='4' fill='#eceff1' "
                     f"stroke='#607d8b'/><text x='{x[lane]:.0f}' y='24' text-anchor='middle' "
                     f"font-weight='bold' {FONT}>{_e(_fit(label, 88))}</text>")
    y = TOP
    for members in rows:
        index = members[0]
        event = events[index]
        kind, who = event["kind"], event["who"]
        here = x.get(lane_of.get(who, "server"), x["server"]) if who != "grader" else x[lanes[0]] if lanes \
            else x["server"]
        many = len(members) > 1
        names = ", ".join(events[i]["who"] for i in members)
        tip = f"{event['seconds']:.3f} s  {names}: {event['what']}"
        row: list[str] = []
        if index == failing:
            row.append(f"<rect class='failing' x='2' y='{y - 16}' width='{width - 4:.0f}' "
                       f"height='{ROW - 2 + len(why) * ROW * 0.6 + 4:.0f}' rx='4' fill='#fdecea' stroke='{RED}' "
                       f"stroke-width='1.5'><title>{_e(tip)}</title></rect>")
        row.append(f"<text x='6' y='{y + 4}' fill='#616161' {FONT}>{event['seconds']:.3f} s</text>")
        prefix = f"×{len(members)} " if many else ""
        if kind in ARROWS and who not in ("server", "grader"):
            colour, dashed, label, outward = ARROWS[kind]
            if label is None:
                label = f"{event.get('preview') or ''} ({event.get('size') or 0} B)"
                if kind == "send_failed":
                    label = "✗ " + label + " not accepted"
            start, end = (here, x["server"]) if outward else (x["server"], here)
            row.append(_arrow(start, end, y, colour, dashed, prefix + label, tip))
            if kind in ("connect_failed", "send_failed", "reset"):
                cross = end - 12 if outward else start - 12
                row.append(f"<text x='{cross:.0f}' y='{y + 4}' text-anchor='middle' fill='{colour}' "
                           f"font-size='14' font-weight='bold'>×</text>")
        elif kind == "wait":
            span = min(ROW - 6, 24)
            row.append(f"<rect x='{here - 5:.0f}' y='{y - span / 2:.0f}' width='10' height='{span}' "
                       f"fill='#fff3c4' stroke='#f9a825'/>")
            row.append(_note(here + 10, y, max(gap - 30, x["server"] - here - 20), prefix + event["what"],
                             "#fff8e1", "#f9a825", tip))
        else:  # the server's lines and notes
            fill, stroke = ("#e3f2fd", "#90caf9") if kind == "server" else ("#f5f5f5", "#bdbdbd")
            if "exited" in event["what"] or "not listening" in event["what"]:
                fill, stroke = "#fdecea", RED
            space = note_width - 20 if here == x["server"] else max(gap - 30, x["server"] - here - 20)
            row.append(_note(here + 10, y, space, prefix + event["what"], fill, stroke, tip))
        parts.append("".join(row))
        y += ROW
        if index == failing:
            for line in why:
                parts.append(f"<text class='rationale' x='{TIME_WIDTH}' y='{y - 6:.0f}' fill='{RED}' "
                             f"font-weight='bold' {FONT}>{_e(line)}</text>")
                y += ROW * 0.6
            y += ROW * 0.6
    parts.append("</svg>")
    return "".join(parts)


def events_who(events: list[dict]) -> set[str]:
    """Every name in ``events`` (clients, "server", "grader")."""
    return {event["who"] for event in events}


def _verdict(result) -> str:
    colour = COLOURS[result.status]
    head = f"{MARKS[result.status]} {result.description}"
    if result.status in ("fail", "error") and result.spec:
        points = ", ".join(str(p) for p in result.spec)
        head += f"  (spec point{'s' if len(result.spec) > 1 else ''} {points})"
    return f"<div style='font-weight:bold;color:{colour}'>{_e(head)}</div>"


def result_html(result, *, open_diagram: bool | None = None) -> str:
    """One check as an HTML fragment: verdict, rationale, expected/actual, hint, and the diagram.

    The diagram is inside ``<details>`` (no JavaScript needed), open when the
    check failed or ``open_diagram``.
    """
    colour = COLOURS[result.status]
    out = [f"<div class='graders-result graders-{result.status}' style='border-left:4px solid {colour};"
           f"padding:4px 10px;margin:8px 0;font-family:system-ui,sans-serif;font-size:13px'>",
           _verdict(result)]
    if result.status != "pass":
        if result.rationale:
            out.append(f"<div class='graders-rationale'>{_prose(result.rationale)}</div>")
        rows = [(k, v) for k, v in (("expected", result.expected), ("actual", result.actual)) if v is not None]
        if rows:
            out.append("<table style='border-collapse:collapse;margin:4px 0'>" + "".join(
                f"<tr><th style='text-align:left;padding-right:8px'>{k}</th>"
                f"<td><code>{_e(v)}</code></td></tr>" for k, v in rows) + "</table>")
        if result.help:
            out.append(f"<div class='graders-hint' style='white-space:pre-wrap'><b>hint:</b> "
                       f"{_prose(result.help)}</div>")
    picture = svg(result) if result.status != "skip" else ""
    if picture:
        is_open = result.status in ("fail", "error") if open_diagram is None else open_diagram
        out.append(f"<details{' open' if is_open else ''}><summary>transcript "
                   f"({len(result.events)} steps)</summary>"
                   f"<div class='graders-diagram' style='overflow-x:auto'>{picture}</div></details>")
    if result.status in ("fail", "error") and result.server_output.strip():
        text = result.server_output.strip()
        text = text if len(text) <= 2000 else "..." + text[-2000:]
        out.append(f"<details><summary>your server printed</summary><pre>{_e(text)}</pre></details>")
    out.append("</div>")
    return "".join(out)


def report_html(report, *, open_diagrams: bool | None = None) -> str:
    """A whole report as an HTML fragment: the summary line, then every check (see result_html).

    ``open_diagrams`` True shows every check's diagram (the self-check), None the failed ones'.
    """
    passed = sum(r.passed for r in report.results)
    head = f"{report.assignment}: {passed} of {len(report.results)} checks passed ({report.file})"
    return (f"<div class='graders-report'><h3 style='font-family:system-ui,sans-serif'>{_e(head)}</h3>"
            + "".join(result_html(r, open_diagram=open_diagrams) for r in report.results) + "</div>")


def page(report) -> str:
    """A standalone HTML page of ``report`` (UTF-8; no scripts, no external assets)."""
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(report.assignment)}: {_e(report.file)}</title></head>"
            f"<body style='margin:16px'>{report_html(report)}</body></html>\n")
